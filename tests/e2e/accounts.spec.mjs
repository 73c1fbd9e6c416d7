// Getting access as a new organisation does: the request filed without signing in, the
// administrator's approval, the link from the mail, the first sign-in.
import { test, expect } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { simpleParser } from "mailparser";

const here = path.dirname(fileURLToPath(import.meta.url));
const letter = path.resolve(here, "../../../shared/samples/documents/Заявление.pdf");
const maildir = process.env.E2E_MAILDIR;

/** The text of the first delivered mail to `recipient`, waiting for the mailer. */
async function mailTo(recipient) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const folder = path.join(maildir, "new");
    let names = [];
    try {
      names = readdirSync(folder);
    } catch {
      // The maildir appears with the first message.
    }
    for (const name of names) {
      const mail = await simpleParser(readFileSync(path.join(folder, name)));
      if (mail.to?.text.includes(recipient)) return mail.text;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no mail to ${recipient}`);
}

test("an organisation asks for access, the administrator approves, the employee sets a password and signs in", async ({ page }) => {
  expect(maildir, "scripts/e2e.sh sets E2E_MAILDIR").toBeTruthy();
  await page.goto("/login");
  await page.getByRole("link", { name: "Заявка на доступ" }).click();
  await expect(page.getByRole("heading", { name: "Заявка на предоставление доступа к ЕССК" })).toBeVisible();

  await page.getByLabel("Полное наименование").fill("ООО «Водоканал Охта»");
  await page.getByLabel("Краткое наименование").fill("Водоканал Охта");
  await page.getByLabel("Вид организации").selectOption({ label: "РСО" });
  await page.getByLabel("ИНН").fill("7806543210");
  await page.getByLabel("Контактное лицо").fill("Орлова Мария");
  await page.getByLabel("E-mail контактного лица").fill("orlova@ohta.ru");
  await page.getByLabel("Цель получения доступа").fill("Согласование подключений к сетям водоснабжения");

  const employee = page.getByRole("group", { name: "Сотрудник 1" });
  await employee.getByLabel("ФИО").fill("Лебедев Андрей Петрович");
  await employee.getByLabel("Должность").fill("Главный инженер");
  await employee.getByLabel("Создавать согласования").check();
  await employee.getByLabel("Просматривать согласования").check();
  await employee.getByLabel("СНИЛС").fill("112-233-445 96");
  await employee.getByLabel("Рабочий e-mail").fill("lebedev@ohta.ru");
  await employee.getByLabel("Телефон").fill("+7 812 100-20-30");
  await employee.getByLabel("Время работы").fill("пн–пт 9:00–18:00");
  await page.getByLabel("Скан официального письма организации").setInputFiles(letter);
  await page.getByRole("button", { name: "Отправить заявку" }).click();
  // A mistyped СНИЛС is told and nothing typed is lost.
  await expect(page.getByRole("alert")).toContainText("Сотрудник 1: СНИЛС введён с ошибкой");
  await expect(employee.getByLabel("ФИО")).toHaveValue("Лебедев Андрей Петрович");
  await employee.getByLabel("СНИЛС").fill("112-233-445 95");
  await page.getByLabel("Скан официального письма организации").setInputFiles(letter);
  await page.getByRole("button", { name: "Отправить заявку" }).click();
  const filed = page.getByRole("status");
  await expect(filed).toContainText("принята");
  const number = (await filed.textContent()).match(/№ (\d+)/)[1];

  await page.goto("/login");
  await page.getByLabel("Логин").fill("admin");
  await page.getByLabel("Пароль").fill("demo1234");
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByRole("link", { name: "Администрирование" }).click();
  await page.getByRole("link", { name: "Заявки на доступ" }).first().click();
  await page.getByRole("link", { name: number, exact: true }).click();
  await expect(page.getByRole("cell", { name: "112-233-445 95" })).toBeVisible();
  await page.getByRole("button", { name: "Одобрить и создать учётные записи" }).click();
  await expect(page.locator("dd.request-status")).toContainText("Одобрена");
  await page.getByRole("button", { name: "Выйти" }).click();

  const text = await mailTo("lebedev@ohta.ru");
  expect(text).not.toMatch(/пароль:/i);
  const login = text.match(/Логин: (\S+)/)[1];
  const link = text.match(/(http\S+\/password\/set\/[0-9a-f]+)/)[1];
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Установка пароля" })).toBeVisible();
  await page.getByLabel("Новый пароль").fill("Охтинский мост 1911");
  await page.getByLabel("Повторите пароль").fill("Охтинский мост 1911");
  await page.getByRole("button", { name: "Установить пароль" }).click();
  await expect(page.getByRole("status")).toContainText("Пароль установлен");

  await page.goto("/login");
  await page.getByLabel("Логин").fill(login);
  await page.getByLabel("Пароль").fill("Охтинский мост 1911");
  await page.getByRole("button", { name: "Войти" }).click();
  await expect(page.getByRole("heading", { name: "Согласования" })).toBeVisible();
  await expect(page.locator(".org-name")).toHaveText("Водоканал Охта");
  await expect(page.getByRole("link", { name: "Создать" })).toBeVisible();

  // The link works once.
  await page.goto(link);
  await expect(page.locator("main")).toContainText("Ссылка недействительна");
});
