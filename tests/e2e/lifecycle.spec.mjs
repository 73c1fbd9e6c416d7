// The whole approval lifecycle as people do it, by the Russian labels on the pages.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const samples = path.resolve(here, "../../../shared/samples/documents");
const signatures = path.resolve(here, "../../../shared/samples/signatures");
const ROUTE =
  "Оформление документов, необходимых для проведения работ, выполняемых при технологическом присоединении";
const STEP_ONE = ["owner1", "owner2", "kga", "kb", "kio", "kgiop", "kt"];
// Each folder gets a sample document with its real detached signature, uploaded together.
const FOLDER_FILES = {
  "Заявление": ["Заявление.pdf", "Заявление.pdf.sig"],
  "Проект производства работ": ["Проект производства работ.pdf", "Проект производства работ.pdf.p7s"],
  "Схема производства работ": ["Схема производства работ.png", "Схема производства работ.png.sig"],
  "Технические условия на подключение": ["Заявление.pdf", "Заявление.pdf.sig"],
};

async function login(page, login) {
  await page.goto("/login");
  await page.getByLabel("Логин").fill(login);
  await page.getByLabel("Пароль").fill("demo1234");
  await page.getByRole("button", { name: "Войти" }).click();
  await expect(page.getByRole("heading", { name: "Согласования" })).toBeVisible();
}

async function logout(page) {
  await page.getByRole("button", { name: "Выйти" }).click();
  await expect(page.getByRole("button", { name: "Войти" })).toBeVisible();
}

async function openApproval(page, number) {
  await page.goto("/approvals");
  await page.getByRole("link", { name: number, exact: true }).click();
  await expect(page.getByRole("heading", { name: `Согласование ${number}` })).toBeVisible();
}

/** Completes the open actions of the signed-in participant, then decides. */
async function decide(page, number, button, comment, resultFile) {
  await openApproval(page, number);
  const actions = page.getByRole("link", { name: /^Выполнить действие \(\d+\)$/ });
  if ((await actions.count()) > 0) {
    const ownRow = page.locator("tr", { has: page.getByRole("link", { name: "Принять решение" }) });
    const ownActions = ownRow.getByRole("link", { name: /^Выполнить действие/ });
    if ((await ownActions.count()) > 0) {
      await ownActions.click();
      const forms = page.getByRole("form", { name: /^Выполнение действия/ });
      while ((await forms.count()) > 0) {
        const form = forms.first();
        await form.getByLabel("Комментарий").fill("Выполнено");
        await form.getByRole("button", { name: "Выполнено" }).click();
      }
      await expect(page.getByRole("cell", { name: "В работе" })).toHaveCount(0);
      await openApproval(page, number);
    }
  }
  await page.getByRole("link", { name: "Принять решение" }).click();
  await page.getByLabel("Комментарий").fill(comment);
  if (resultFile) {
    await page.getByLabel("Результат согласования (файлы)").setInputFiles(path.join(samples, resultFile));
  }
  await page.getByRole("button", { name: button, exact: true }).click();
  await expect(page.getByRole("heading", { name: `Согласование ${number}` })).toBeVisible();
}

/** The number of the draft whose edit card is open. */
async function draftNumber(page) {
  const heading = page.getByRole("heading", { name: /^Черновик \d{4}-\d{6}$/ });
  await expect(heading).toBeVisible();
  return (await heading.textContent()).replace("Черновик ", "").trim();
}

/** Uploads each folder's sample with its signature on the open edit card. */
async function fillFolders(page) {
  for (const [folder, [file, signature]] of Object.entries(FOLDER_FILES)) {
    const section = page.getByRole("region", { name: `Папка «${folder}»` });
    await section.getByText("Добавить документы в папку").click();
    await section
      .getByLabel(`Файлы для папки «${folder}»`)
      .setInputFiles([path.join(samples, file), path.join(signatures, signature)]);
    await section.getByRole("button", { name: "Загрузить" }).click();
    const uploaded = page.getByRole("region", { name: `Папка «${folder}»` });
    await expect(uploaded.getByRole("link", { name: file, exact: true })).toBeVisible();
    await expect(uploaded.getByRole("link", { name: "Подписан (1)" })).toBeVisible();
  }
}

test("an approval goes from a new draft to «Согласовано» through every participant", async ({ page }) => {
  await login(page, "rso");
  await page.getByRole("link", { name: "Создать" }).click();
  await page.getByLabel("Маршрут согласования").selectOption({ label: ROUTE });
  await page.getByLabel("Наименование").fill("Подключение жилого дома к тепловой сети");
  await page.getByLabel("Предмет согласования").fill("Земляные работы при технологическом присоединении");
  await page.getByLabel("Адрес производства работ").fill("Санкт-Петербург, ул. Тестовая, д. 5");
  await page.getByLabel("Кадастровый номер").fill("78:12:0001234:56");
  await page.getByLabel("Вид сети").selectOption("Теплоснабжение");
  await page.getByLabel("Краткое описание").fill("Прокладка ввода тепловой сети");
  await page.getByRole("button", { name: "Сохранить" }).click();

  const number = await draftNumber(page);

  await fillFolders(page);
  await page.getByRole("button", { name: "Сохранить" }).click();
  await expect(page.locator("dd.status")).toHaveText("Черновик");

  await page.getByRole("link", { name: "Запустить согласование" }).click();
  await page.getByRole("button", { name: "Ок" }).click();
  await expect(page.locator("dd.status")).toHaveText("Запущено");
  await logout(page);

  for (const participant of STEP_ONE) {
    await login(page, participant);
    await decide(page, number, "Согласовать", `Замечаний нет (${participant})`);
    await logout(page);
  }

  await login(page, "gati");
  await decide(page, number, "Согласовать", "Ордер оформлен", "Схема производства работ.png");
  await expect(page.locator("dd.status")).toHaveText("Согласовано");
  await logout(page);

  await login(page, "rso");
  await openApproval(page, number);
  await expect(page.locator("dd.status")).toHaveText("Согласовано");
  const decisions = page.locator("table.decisions tbody tr");
  await expect(decisions).toHaveCount(8);
  await expect(page.getByRole("cell", { name: "Ордер оформлен" })).toBeVisible();

  await page.getByRole("link", { name: "Состав дела" }).click();
  const caseFile = page.locator("table.case-file tbody tr");
  await expect(caseFile).toHaveCount(5);
  const downloadPromise = page.waitForEvent("download");
  await page.getByRole("link", { name: "Проект производства работ.pdf" }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe("Проект производства работ.pdf");
  const saved = readFileSync(await download.path());
  expect(saved.equals(readFileSync(path.join(samples, "Проект производства работ.pdf")))).toBe(true);

  const archivePromise = page.waitForEvent("download");
  await page.getByRole("link", { name: "Скачать архив" }).click();
  const archive = await archivePromise;
  expect(archive.suggestedFilename()).toBe(`Дело ${number}.zip`);
  expect(readFileSync(await archive.path()).subarray(0, 2).toString()).toBe("PK");

  await page.getByRole("link", { name: "Сформировать опись" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Опись документов по согласованию № ${number}`);
  await expect(page.locator("tbody tr")).toHaveCount(5);
  await expect(page.locator("p.total")).toHaveText("Всего документов: 5");
});

test("a refused approval is repeated, launched again and approved by everyone", async ({ page }) => {
  await login(page, "rso");
  await page.getByRole("link", { name: "Создать" }).click();
  await page.getByLabel("Маршрут согласования").selectOption({ label: ROUTE });
  await page.getByLabel("Наименование").fill("Подключение школы к водопроводу");
  await page.getByLabel("Предмет согласования").fill("Земляные работы");
  await page.getByLabel("Адрес производства работ").fill("Санкт-Петербург, пр. Тестовый, д. 9");
  await page.getByLabel("Вид сети").selectOption("Водоснабжение");
  await page.getByRole("button", { name: "Сохранить" }).click();
  const primary = await draftNumber(page);
  await fillFolders(page);
  await openApproval(page, primary);
  await page.getByRole("link", { name: "Запустить согласование" }).click();
  await page.getByRole("button", { name: "Ок" }).click();
  await expect(page.locator("dd.status")).toHaveText("Запущено");
  await logout(page);

  for (const participant of STEP_ONE) {
    await login(page, participant);
    await decide(page, primary, "Согласовать", "Замечаний нет");
    await logout(page);
  }
  await login(page, "gati");
  await decide(page, primary, "Отказать", "Нет схемы организации движения");
  await expect(page.locator("dd.status")).toHaveText("Отклонено");
  await logout(page);

  await login(page, "rso");
  await openApproval(page, primary);
  await page.getByRole("link", { name: "Повторное согласование" }).click();
  await expect(page.getByLabel("Номер первичной заявки")).toHaveValue(primary);
  await expect(page.getByLabel("Наименование")).toHaveValue("Подключение школы к водопроводу");
  await expect(page.locator("table.copy-choices input[type=checkbox]:checked")).toHaveCount(4);
  await page.getByLabel("Краткое описание").fill("Добавлена схема организации движения");
  await page.getByRole("button", { name: "Создать черновик" }).click();
  const repeat = await draftNumber(page);
  expect(repeat).not.toBe(primary);
  await expect(page.locator("p.primary-ref")).toHaveText(`Номер первичной заявки: ${primary}`);
  await expect(page.getByRole("link", { name: "Подписан (1)" })).toHaveCount(4);

  await openApproval(page, repeat);
  await page.getByRole("link", { name: "Запустить согласование" }).click();
  await page.getByRole("button", { name: "Ок" }).click();
  await expect(page.locator("dd.status")).toHaveText("Запущено");
  await logout(page);

  for (const participant of [...STEP_ONE, "gati"]) {
    await login(page, participant);
    await decide(page, repeat, "Согласовать", "Замечаний нет");
    await logout(page);
  }

  await login(page, "rso");
  await openApproval(page, repeat);
  await expect(page.locator("dd.status")).toHaveText("Согласовано");
  await page.locator("dl.header-fields").getByRole("link", { name: primary }).click();
  await expect(page.getByRole("heading", { name: `Согласование ${primary}` })).toBeVisible();
  await expect(page.locator("dd.status")).toHaveText("Отклонено");
  await expect(page.locator("dl.header-fields").getByRole("link", { name: repeat })).toBeVisible();
  await expect(page.getByRole("link", { name: "Повторное согласование" })).toHaveCount(0);
});
