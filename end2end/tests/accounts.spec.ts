import { test, expect } from "@playwright/test";
import {
  ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, expectNoConsoleErrors, register, signIn, signOut,
  uniqueEmail, waitForHydration, waitForMail, watchConsole,
} from "./helpers";

test("register, sign out, sign in, reset a forgotten password, sign in with it", async ({ page, request }) => {
  const errors = watchConsole(page);
  const email = uniqueEmail("playwright");
  await register(page, "Pat Playwright", email);
  await expect(page.getByRole("link", { name: "Pat Playwright" })).toBeVisible();
  await signOut(page);
  await signIn(page, email, PASSWORD);
  await signOut(page);

  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password/);
  await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account exists");

  const text = await waitForMail(request, email, "Reset your");
  const link = text.match(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/)![0];
  await page.goto(link);
  await waitForHydration(page);
  const newPassword = "mellow orange harbour lantern";
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=done/);
  await expect(page.getByText("Your password was changed.")).toBeVisible();
  await signIn(page, email, newPassword);
  await expectNoConsoleErrors(errors);
});

test("ending all other sessions signs the other browser out", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const email = uniqueEmail("devices");
  await register(page, "Dev Ices", email);
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, email, PASSWORD);

  await page.goto("/account");
  await waitForHydration(page);
  await expect(page.locator("#devices-status")).toHaveText("Here and on 1 other browser or device.");
  await page.getByRole("button", { name: "End all other sessions" }).click();
  await expect(page.getByText("Signed out 1 other browser or device.")).toBeVisible();
  await expect(page.locator("#devices-status")).toHaveText(/Only here/);

  await otherPage.goto("/account");
  await expect(otherPage).toHaveURL(/\/login\?next=/);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await other.close();
  await expectNoConsoleErrors(errors);
});

test("errors show next to the field and keep what was typed", async ({ page }) => {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Your name").fill("Typo Person");
  await page.getByLabel("E-mail address").fill("not-an-email");
  await page.getByLabel("Password", { exact: true }).fill("password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Enter an e-mail address like name@example.com.").first()).toBeVisible();
  await expect(page.getByLabel("Your name")).toHaveValue("Typo Person");
  await expect(page.getByLabel("E-mail address")).toHaveAttribute("aria-invalid", "true");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-in works with a plain form and errors come back", async ({ page }) => {
    const email = uniqueEmail("nojs");
    await page.goto("/register");
    await page.getByLabel("Your name").fill("No Script");
    await page.getByLabel("E-mail address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
    await page.getByRole("button", { name: "Sign out" }).click();
    // Let the sign-out's own page load finish before going on (two navigations at once race).
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
    await page.goto("/login");
    await page.getByLabel("E-mail address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("wrong password here");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("The e-mail address or password is incorrect.")).toBeVisible();
    await expect(page.getByLabel("E-mail address")).toHaveValue(email);
  });
});

test("an admin reaches /admin, a customer is sent to sign in", async ({ page }) => {
  await register(page, "Casey Customer", uniqueEmail("customer"));
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin&reason=admin/);
  await expect(page.getByText("That page is for shop administrators.")).toBeVisible();
  await signOut(page).catch(() => {});
  await page.context().clearCookies();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
});
