// Signing in the browser through the CryptoPro CAdES plug-in interface. The plug-in itself
// cannot run here, so a stand-in object with the plug-in's interface answers with real
// detached signatures made beforehand with OpenSSL (the samples); the server verifies them
// like uploaded ones.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const samples = path.resolve(here, "../../../shared/samples");
const ROUTE =
  "Оформление документов, необходимых для проведения работ, выполняемых при технологическом присоединении";
const FOLDER_FILES = {
  "Заявление": ["Заявление.pdf", "Заявление.pdf.sig"],
  "Проект производства работ": ["Проект производства работ.pdf", "Проект производства работ.pdf.rsa.sig"],
  "Схема производства работ": ["Схема производства работ.png", "Схема производства работ.png.sig"],
  "Технические условия на подключение": ["Заявление.pdf", "Заявление.pdf.sig"],
};

/** Content (Base64) → its detached signature (Base64), as the stand-in plug-in returns them. */
function signaturesByContent() {
  const map = {};
  for (const [file, signature] of Object.values(FOLDER_FILES)) {
    const content = readFileSync(path.join(samples, "documents", file)).toString("base64");
    map[content] = readFileSync(path.join(samples, "signatures", signature)).toString("base64");
  }
  return map;
}

/** Installs an object with the CryptoPro plug-in's asynchronous interface. */
function installStandIn(signatures) {
  const certificate = {
    SubjectName: Promise.resolve("CN=Иванов Пётр Сергеевич, O=ГУП «Инженерные сети»"),
    ValidToDate: Promise.resolve("2028-12-02T00:00:00Z"),
    Thumbprint: Promise.resolve("A1B2C3"),
  };
  const objects = {
    "CAdESCOM.Store": () => ({
      Open: async () => {},
      Close: async () => {},
      Certificates: Promise.resolve({ Count: Promise.resolve(1), Item: async () => certificate }),
    }),
    "CAdESCOM.CPSigner": () => {
      const signer = { certificate: null };
      signer.propset_Certificate = async (c) => { signer.certificate = c; };
      return signer;
    },
    "CAdESCOM.CadesSignedData": () => {
      const data = { content: "", encoding: 0 };
      data.propset_ContentEncoding = async (e) => { data.encoding = e; };
      data.propset_Content = async (c) => { data.content = c; };
      data.SignCades = async (signer, type, detached) => {
        if (signer.certificate !== certificate || type !== 1 || detached !== true || data.encoding !== 1) {
          throw new Error("stand-in: unexpected call");
        }
        const signature = signatures[data.content];
        if (!signature) throw new Error("stand-in: no signature for this content");
        return signature.replace(/(.{64})/g, "$1\r\n");
      };
      return data;
    },
  };
  const plugin = Promise.resolve();
  plugin.CreateObjectAsync = async (name) => objects[name]();
  window.cadesplugin = plugin;
}

async function login(page, login) {
  await page.goto("/login");
  await page.getByLabel("Логин").fill(login);
  await page.getByLabel("Пароль").fill("demo1234");
  await page.getByRole("button", { name: "Войти" }).click();
  await expect(page.getByRole("heading", { name: "Согласования" })).toBeVisible();
}

async function draftWithUnsignedFiles(page) {
  await login(page, "rso");
  await page.getByRole("link", { name: "Создать" }).click();
  await page.getByLabel("Маршрут согласования").selectOption({ label: ROUTE });
  await page.getByLabel("Наименование").fill("Подписание в браузере");
  await page.getByLabel("Предмет согласования").fill("Земляные работы");
  await page.getByLabel("Адрес производства работ").fill("Санкт-Петербург, ул. Тестовая, д. 7");
  await page.getByLabel("Вид сети").selectOption("Газоснабжение");
  await page.getByRole("button", { name: "Сохранить" }).click();
  for (const [folder, [file]] of Object.entries(FOLDER_FILES)) {
    const section = page.getByRole("region", { name: `Папка «${folder}»` });
    await section.getByText("Добавить документы в папку").click();
    await section.getByLabel(`Файлы для папки «${folder}»`).setInputFiles(path.join(samples, "documents", file));
    await section.getByRole("button", { name: "Загрузить" }).click();
    await expect(page.getByRole("region", { name: `Папка «${folder}»` }).getByRole("link", { name: "Не подписан" })).toBeVisible();
  }
}

test("with the plug-in, «Сохранить» signs every unsigned file with the chosen certificate", async ({ page }) => {
  await page.addInitScript(installStandIn, signaturesByContent());
  await draftWithUnsignedFiles(page);
  await expect(page.getByRole("status")).toContainText("Плагин КриптоПро найден");

  await page.getByRole("button", { name: "Сохранить" }).click();
  const dialog = page.getByRole("dialog", { name: "Выбор сертификата электронной подписи" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel(/Иванов Пётр Сергеевич/)).toBeChecked();
  await dialog.getByRole("button", { name: "Применить" }).click();

  await expect(page.locator("dd.status")).toHaveText("Черновик");
  await page.getByRole("link", { name: "Состав дела" }).click();
  await expect(page.getByRole("link", { name: "Подписан (1)" })).toHaveCount(4);
  await page.getByRole("link", { name: "Запустить согласование" }).click();
  await page.getByRole("button", { name: "Ок" }).click();
  await expect(page.locator("dd.status")).toHaveText("Запущено");
});

test("without the plug-in the page says so and a signature file can be attached instead", async ({ page }) => {
  await draftWithUnsignedFiles(page);
  await expect(page.getByRole("status")).toContainText("не найден");
  await expect(page.getByRole("button", { name: /установленной подписью/ })).toHaveCount(0);

  const section = page.getByRole("region", { name: "Папка «Заявление»" });
  await section.getByLabel("Файл подписи для Заявление.pdf").setInputFiles(path.join(samples, "signatures", "Заявление.pdf.sig"));
  await section.getByRole("button", { name: "Приложить подпись к файлу «Заявление.pdf»" }).click();
  await expect(page.getByRole("region", { name: "Папка «Заявление»" }).getByRole("link", { name: "Подписан (1)" })).toBeVisible();
});
