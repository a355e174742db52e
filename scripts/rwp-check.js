#!/usr/bin/env node
// Loads a WACZ in ReplayWeb.page, as a reader would, and reports what it shows.
//
//   node scripts/rwp-check.js PACKAGE.wacz URL [URL...]
//
// Serves ReplayWeb.page (build/rwp/app, from scripts/rwp-setup.sh) and the package on
// 127.0.0.1 with HTTP Range support (ReplayWeb.page reads a WACZ by ranges), opens it in
// the system's headless Chromium through puppeteer-core, and prints one JSON object:
// the text of its page list (titles, URLs, count) and, per URL, the text of the replayed page.
// Exits 1 if the package does not load or a page does not replay.
"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const RWP_DIR = process.env.RWP_DIR ? path.resolve(process.env.RWP_DIR) : path.join(ROOT, "build", "rwp");
const puppeteer = require(path.join(RWP_DIR, "node_modules", "puppeteer-core"));
const TYPES = {".js": "text/javascript", ".html": "text/html", ".json": "application/json",
  ".wacz": "application/wacz", ".css": "text/css", ".svg": "image/svg+xml", ".wasm": "application/wasm"};

function serve(appDir, wacz) {
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = urlPath === "/package.wacz" ? wacz : path.join(appDir, path.normalize(urlPath));
    if (!file.startsWith(appDir) && file !== wacz) { res.writeHead(403).end(); return; }
    fs.stat(file, (error, stat) => {
      if (error || !stat.isFile()) { res.writeHead(404).end(); return; }
      const headers = {"Content-Type": TYPES[path.extname(file)] || "application/octet-stream",
        "Accept-Ranges": "bytes"};
      const range = /bytes=(\d*)-(\d*)/.exec(req.headers.range || "");
      let start = 0, end = stat.size - 1, status = 200;
      if (range) {
        start = range[1] ? Number(range[1]) : Math.max(0, stat.size - Number(range[2]));
        end = range[1] && range[2] ? Math.min(Number(range[2]), stat.size - 1) : stat.size - 1;
        headers["Content-Range"] = `bytes ${start}-${end}/${stat.size}`;
        status = 206;
      }
      headers["Content-Length"] = String(end - start + 1);
      res.writeHead(status, headers);
      if (req.method === "HEAD") { res.end(); return; }
      fs.createReadStream(file, {start, end}).pipe(res);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// The text of a document including open shadow roots (the app is made of web components).
function deepText() {
  const parts = [];
  const walk = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.currentNode; node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) {
        const tag = node.parentElement ? node.parentElement.tagName : "";
        if (tag !== "STYLE" && tag !== "SCRIPT" && node.textContent.trim()) parts.push(node.textContent.trim());
      } else if (node.shadowRoot) {
        walk(node.shadowRoot);
      }
    }
  };
  walk(document.body);
  return parts.join(" ");
}

async function waitFor(check, attempts = 120) {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

async function main() {
  const [wacz, ...urls] = process.argv.slice(2);
  if (!wacz) throw new Error("usage: rwp-check.js PACKAGE.wacz URL [URL...]");
  const server = await serve(path.join(RWP_DIR, "app"), path.resolve(wacz));
  const base = `http://127.0.0.1:${server.address().port}`;
  const source = encodeURIComponent(`${base}/package.wacz`);
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"], headless: true,
  });
  const report = {listing: "", replayed: {}, errors: []};
  try {
    const page = await browser.newPage();
    page.on("pageerror", (error) => report.errors.push(String(error)));
    await page.goto(`${base}/index.html?source=${source}#view=pages`, {waitUntil: "networkidle0"});
    let previous = "", steady = 0;  // the list renders in steps: wait until its text settles
    const listing = await waitFor(async () => {
      const text = await page.evaluate(deepText);
      steady = text === previous ? steady + 1 : 0;
      previous = text;
      return /\d+ pages?/.test(text) && steady >= 4 ? text : null;
    });
    if (!listing) throw new Error("the page list never appeared: " + (await page.evaluate(deepText)).slice(0, 500));
    report.listing = listing.replace(/\s+/g, " ").trim();
    for (const url of urls) {
      await page.goto(`${base}/index.html?source=${source}#view=replay&url=${encodeURIComponent(url)}`,
        {waitUntil: "networkidle0"});
      const text = await waitFor(async () => {
        for (const frame of page.frames()) {
          if (!frame.url().includes("mp_/")) continue;
          const body = await frame.evaluate(() => (document.body ? document.body.innerText : "")).catch(() => "");
          if (body.trim()) return body;
        }
        return null;
      });
      report.replayed[url] = text ? text.replace(/\s+/g, " ").trim() : null;
    }
  } finally {
    await browser.close();
    server.close();
  }
  console.log(JSON.stringify(report));
  return Object.values(report.replayed).every((text) => text) ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => { console.error(String(error)); process.exit(1); });
