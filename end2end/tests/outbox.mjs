// The server under test has no SMTP server: it writes each email to
// $LODESTAR_DATA_DIR/outbox/ as an RFC 5322 message (.eml). These helpers
// read those files and wait for the link a test needs.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BASE_URL } from "./browser.mjs";

export const OUTBOX = join(process.env.LODESTAR_DATA_DIR ?? "data", "outbox");

/** Splits a message into lower-cased headers (unfolded) and its decoded body. */
export function parseMessage(raw) {
  const text = raw.replace(/\r\n/g, "\n");
  const split = text.indexOf("\n\n");
  const head = split === -1 ? text : text.slice(0, split);
  const rawBody = split === -1 ? "" : text.slice(split + 2);
  const headers = {};
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoding = (headers["content-transfer-encoding"] ?? "").toLowerCase();
  let body = rawBody;
  if (encoding === "quoted-printable") body = decodeQuotedPrintable(rawBody);
  else if (encoding === "base64") body = Buffer.from(rawBody.replace(/\s+/g, ""), "base64").toString("utf8");
  return { headers, body };
}

/** Quoted-printable (RFC 2045): soft line breaks vanish, `=XX` is a byte. */
export function decodeQuotedPrintable(text) {
  const input = text.replace(/=\r?\n/g, "");
  const bytes = [];
  for (let i = 0; i < input.length; i++) {
    const hex = input.slice(i + 1, i + 3);
    if (input[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(input[i], "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** A file the server may still be writing is read until two reads agree. */
async function readSettled(path) {
  let previous = await readFile(path, "utf8");
  for (;;) {
    await sleep(50);
    const current = await readFile(path, "utf8");
    if (current === previous) return current;
    previous = current;
  }
}

/** The messages to `recipient` (in their To: header), newest first. */
async function messagesTo(recipient) {
  let names;
  try {
    names = await readdir(OUTBOX);
  } catch (error) {
    if (error.code === "ENOENT") return [];
    throw error;
  }
  const found = [];
  // Files are named `<unix ms>-<uuid>.eml`: newest first.
  for (const name of names.filter((n) => n.endsWith(".eml")).sort().reverse()) {
    const message = parseMessage(await readSettled(join(OUTBOX, name)));
    if ((message.headers.to ?? "").toLowerCase().includes(recipient)) found.push(message);
  }
  return found;
}

async function findLink(recipient, path) {
  for (const { body } of await messagesTo(recipient)) {
    for (const candidate of body.match(/https?:\/\/[^\s"'<>]+/g) ?? []) {
      const url = new URL(candidate);
      if (url.pathname.startsWith(path)) {
        // Follow it on the server under test, whatever host the email names.
        return new URL(url.pathname + url.search, BASE_URL).href;
      }
    }
  }
  return null;
}

/** Waits for an email to `recipient` (whose subject holds `subject`, if given) and returns the newest ({ headers, body }). */
export async function waitForMessage(recipient, { subject = "", timeout = 20_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const [newest] = (await messagesTo(recipient.toLowerCase())).filter((m) => (m.headers.subject ?? "").includes(subject));
    if (newest) return newest;
    if (Date.now() > deadline) throw new Error(`no email to ${recipient} arrived in ${OUTBOX} within ${timeout} ms`);
    await sleep(100);
  }
}

/**
 * Waits for an email to `recipient` (its To: header) with a link whose path
 * starts with `path` (`/verify`, `/reset`, `/invite/`), and returns the link.
 * Polls the outbox until the deadline; the newest matching message wins.
 */
export async function waitForLink(recipient, path, { timeout = 20_000 } = {}) {
  const deadline = Date.now() + timeout;
  const wanted = recipient.toLowerCase();
  for (;;) {
    const link = await findLink(wanted, path);
    if (link) return link;
    if (Date.now() > deadline) {
      throw new Error(`no email to ${recipient} with a ${path} link arrived in ${OUTBOX} within ${timeout} ms`);
    }
    await sleep(100);
  }
}
