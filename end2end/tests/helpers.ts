import { expect, Page, ConsoleMessage } from "@playwright/test";

/** Collects console errors and uncaught page errors while a test runs. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg: ConsoleMessage) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  return errors;
}

/** Waits until the WASM app has hydrated the page (the menu button appears only then). */
export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const btn = document.querySelector(".menu-toggle");
    return btn !== null && !btn.hasAttribute("hidden");
  });
}

export async function expectNoConsoleErrors(errors: string[]): Promise<void> {
  expect(errors, `console errors: ${errors.join("\n")}`).toEqual([]);
}
