// Signing documents with the CryptoPro CAdES browser plug-in, when the browser has it.
//
// The edit card marks each unsigned file with a «Подписать» button (data-sign-document) and
// the signing area with data-signing. With the plug-in present, the user picks a certificate
// once and every unsigned file gets a detached CAdES-BES signature, which is sent to the
// server like an uploaded signature file and verified there. Without the plug-in the page
// says so and the signature-file inputs remain the way to sign.
"use strict";

(() => {
  const CAPICOM_CURRENT_USER_STORE = 2;
  const CAPICOM_MY_STORE = "My";
  const CAPICOM_STORE_OPEN_MAXIMUM_ALLOWED = 2;
  const CADESCOM_CADES_BES = 1;
  const CADESCOM_BASE64_TO_BINARY = 1;

  const area = document.querySelector("[data-signing]");
  if (!area) {
    return;
  }
  const status = area.querySelector("[data-signing-status]");
  const say = (text) => {
    if (status) {
      status.textContent = text;
    }
  };

  const plugin = () => window.cadesplugin;

  /** Waits for the plug-in to load; false when there is none. */
  async function pluginReady() {
    const p = plugin();
    if (!p) {
      return false;
    }
    try {
      if (typeof p.then === "function") {
        await p;
      }
      return typeof p.CreateObjectAsync === "function";
    } catch {
      return false;
    }
  }

  async function certificates() {
    const store = await plugin().CreateObjectAsync("CAdESCOM.Store");
    await store.Open(CAPICOM_CURRENT_USER_STORE, CAPICOM_MY_STORE, CAPICOM_STORE_OPEN_MAXIMUM_ALLOWED);
    const all = await store.Certificates;
    const count = await all.Count;
    const found = [];
    for (let i = 1; i <= count; i += 1) {
      const certificate = await all.Item(i);
      found.push({
        certificate,
        subject: await certificate.SubjectName,
        validTo: new Date(await certificate.ValidToDate),
        thumbprint: await certificate.Thumbprint,
      });
    }
    await store.Close();
    return found;
  }

  /** Lets the user choose one certificate; resolves to null when cancelled. */
  function chooseCertificate(found) {
    const dialog = document.getElementById("certificate-dialog");
    const list = dialog.querySelector("[data-certificates]");
    list.replaceChildren();
    found.forEach((entry, index) => {
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "certificate";
      radio.value = String(index);
      radio.checked = index === 0;
      label.append(radio, ` ${entry.subject} (действителен до ${entry.validTo.toLocaleDateString("ru-RU")})`);
      list.append(label);
    });
    return new Promise((resolve) => {
      const form = dialog.querySelector("form");
      const cancel = dialog.querySelector("[data-cancel]");
      const done = (value) => {
        form.removeEventListener("submit", onApply);
        cancel.removeEventListener("click", onCancel);
        dialog.close();
        resolve(value);
      };
      const onApply = (event) => {
        event.preventDefault();
        const chosen = form.querySelector("input[name=certificate]:checked");
        done(chosen ? found[Number(chosen.value)] : null);
      };
      const onCancel = () => done(null);
      form.addEventListener("submit", onApply);
      cancel.addEventListener("click", onCancel);
      dialog.showModal();
    });
  }

  function toBase64(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  async function signOne(button, certificate) {
    const response = await fetch(button.dataset.documentUrl, { credentials: "same-origin" });
    if (!response.ok) {
      throw new Error(`файл «${button.dataset.name}» не загрузился (${response.status})`);
    }
    const content = toBase64(await response.arrayBuffer());
    const signer = await plugin().CreateObjectAsync("CAdESCOM.CPSigner");
    await signer.propset_Certificate(certificate);
    const signedData = await plugin().CreateObjectAsync("CAdESCOM.CadesSignedData");
    await signedData.propset_ContentEncoding(CADESCOM_BASE64_TO_BINARY);
    await signedData.propset_Content(content);
    const signature = await signedData.SignCades(signer, CADESCOM_CADES_BES, true);
    const form = new FormData();
    form.append("files", new Blob([signature.replace(/\s+/g, "")], { type: "application/pkcs7-signature" }), `${button.dataset.name}.sig`);
    const sent = await fetch(button.dataset.signUrl, { method: "POST", body: form, credentials: "same-origin" });
    if (!sent.ok && sent.status !== 303) {
      throw new Error(`подпись файла «${button.dataset.name}» не принята (${sent.status})`);
    }
  }

  /** Signs the given files with one chosen certificate; true when all were signed. */
  async function signAll(buttons) {
    if (buttons.length === 0) {
      return true;
    }
    const found = await certificates();
    if (found.length === 0) {
      say("В хранилище нет сертификатов: приложите файлы подписи.");
      return false;
    }
    const chosen = await chooseCertificate(found);
    if (!chosen) {
      say("Подписание отменено.");
      return false;
    }
    for (const button of buttons) {
      say(`Подписывается «${button.dataset.name}»…`);
      await signOne(button, chosen.certificate);
    }
    say("Все файлы подписаны.");
    return true;
  }

  const unsignedButtons = () => Array.from(document.querySelectorAll("[data-sign-document][data-unsigned]"));

  pluginReady().then((ready) => {
    const buttons = Array.from(document.querySelectorAll("[data-sign-document]"));
    if (!ready) {
      buttons.forEach((b) => { b.hidden = true; });
      say("Плагин КриптоПро ЭЦП Browser plug-in не найден: подпишите файлы в своей программе и приложите файлы подписи.");
      return;
    }
    area.dataset.pluginReady = "true";
    say("Плагин КриптоПро найден: файлы можно подписать установленным сертификатом.");
    buttons.forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", async () => {
        try {
          if (await signAll([button])) {
            window.location.reload();
          }
        } catch (error) {
          say(`Не удалось подписать: ${error.message ?? error}`);
        }
      });
    });
    const saveForm = document.getElementById("approval-form");
    if (saveForm) {
      saveForm.addEventListener("submit", async (event) => {
        const pending = unsignedButtons();
        if (pending.length === 0 || saveForm.dataset.signed === "true") {
          return;
        }
        event.preventDefault();
        try {
          if (await signAll(pending)) {
            saveForm.dataset.signed = "true";
            saveForm.requestSubmit();
          }
        } catch (error) {
          say(`Не удалось подписать: ${error.message ?? error}`);
        }
      });
    }
  });
})();
