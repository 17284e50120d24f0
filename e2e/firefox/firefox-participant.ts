import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@playwright/test';
import type { ElementHandle, Page } from 'puppeteer-core';
import { SAS_EMOJI_COUNT } from '../../apps/web/src/call/verification/sas.ts';
import type { LaunchedFirefox } from './launch-firefox.ts';
import { probeTile, type TileProbe } from './tile-probe.ts';

/**
 * What a person in Firefox does in Parley, through puppeteer: the Firefox twin of the
 * Playwright helpers (support/join.ts, support/files.ts). Buttons are found by their
 * accessible names (puppeteer's aria selectors), as getByRole finds them in Chromium.
 */
export class FirefoxParticipant {
  readonly page: Page;

  constructor(
    private readonly firefox: LaunchedFirefox,
    readonly name: string,
  ) {
    this.page = firefox.page;
  }

  /**
   * Waits for the visible element matching `selector` and clicks it. Element handles, not
   * puppeteer's Locator: Locator actions wait for a stable bounding box across animation
   * frames, and in headless Firefox over BiDi that wait never ended (a plain fill timed out).
   */
  private async click(selector: string): Promise<void> {
    const element = await this.page.waitForSelector(selector, { visible: true });
    await element!.click();
  }

  private clickButton(name: string): Promise<void> {
    return this.click(`::-p-aria([name="${name}"][role="button"])`);
  }

  private async type(selector: string, text: string): Promise<void> {
    const element = await this.page.waitForSelector(selector, { visible: true });
    await element!.click({ count: 3 }); // selects what is there, so typing replaces it
    await element!.type(text);
  }

  /** Opens the landing page and starts a new call; resolves to the call's link. */
  async startCall(origin: string): Promise<string> {
    await this.page.goto(origin);
    await this.clickButton('New call');
    await this.page.waitForFunction(() => location.pathname.startsWith('/r/'));
    return this.page.url();
  }

  /** Opens `link` (or stays on the lobby already shown), types the name and joins. */
  async join(link?: string): Promise<void> {
    if (link) await this.page.goto(link);
    await this.type('::-p-aria(Your name)', this.name);
    await this.clickButton('Join call');
  }

  async leave(): Promise<void> {
    await this.clickButton('Leave');
    await this.page.waitForSelector('::-p-aria([name="Rejoin"][role="button"])');
  }

  probe = (label: string): Promise<TileProbe | undefined> => this.page.evaluate(probeTile, label);

  /** The signalling status line ("Connected", "Reconnecting…"). */
  status(): Promise<string | null> {
    return this.page.evaluate(
      () => document.querySelector('[role="status"].signaling-status')?.textContent ?? null,
    );
  }

  /** How many remote tiles are connected. */
  connectedTiles(): Promise<number> {
    return this.page.evaluate(
      () => document.querySelectorAll('[role="group"][data-connection="connected"]').length,
    );
  }

  /** Opens the chat panel (the button's name carries the unread count, so match its start). */
  async openChat(): Promise<void> {
    if (await this.page.$('[role="log"]')) return;
    const chat = await this.page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('nav[aria-label="Call controls"] button')).find(
          (button) => button.textContent?.startsWith('Chat'),
        ) as HTMLButtonElement | undefined,
    );
    await (chat.asElement() as ElementHandle<HTMLButtonElement>).click();
    await this.page.waitForSelector('[role="log"]');
  }

  async sendChat(text: string): Promise<void> {
    await this.openChat();
    await this.type('::-p-aria(Message)', text);
    await this.clickButton('Send');
  }

  /** The chat log as [sender, text] pairs. */
  chatLines(): Promise<Array<[string, string]>> {
    return this.page.evaluate(() =>
      Array.from(document.querySelectorAll('[role="log"] .chat-line')).map(
        (line) =>
          [
            line.querySelector('.chat-sender')?.textContent ?? '',
            line.querySelector('.chat-text')?.textContent ?? '',
          ] as [string, string],
      ),
    );
  }

  /** Offers the file at `path` to `to` (a participant's name) from the Files panel. */
  async offerFile(path: string, to: string): Promise<void> {
    await this.clickButton('Send file');
    const select = (await this.page.waitForSelector('.files-send select'))!;
    const value = await select.evaluate(
      (element, name) =>
        Array.from((element as HTMLSelectElement).options).find((option) => option.text === name)
          ?.value,
      to,
    );
    if (value === undefined) throw new Error(`${to} is not offered in "Send to"`);
    await select.select(value);
    const input = await this.page.waitForSelector('.files-send input[type="file"]');
    await input!.uploadFile(path);
  }

  /** The transfer row of `name`: its state, whether it says "verified", its bytes sent. */
  transfer(name: string): Promise<{ state: string; verified: boolean; bytesSent: number } | null> {
    return this.page.evaluate((fileName) => {
      const row = Array.from(
        document.querySelectorAll('[aria-label="Transfers"] [role="group"]'),
      ).find((element) => element.getAttribute('aria-label') === fileName);
      if (!row) return null;
      return {
        state: row.getAttribute('data-state') ?? '',
        verified: row.querySelector('.verified') !== null,
        bytesSent: Number(row.getAttribute('data-bytes-sent') ?? 0),
      };
    }, name);
  }

  /**
   * Accepts the incoming `name`, waits until it is done and verified (within `timeout`), saves
   * it through its "Save <name>" link and resolves to the saved file's path once Firefox has
   * finished writing it (the .part file is gone and the size is complete).
   */
  async acceptAndSave(name: string, size: number, timeout: number): Promise<string> {
    if (!(await this.page.$('[aria-label="Transfers"]'))) await this.clickButton('Send file');
    await expect.poll(async () => (await this.transfer(name))?.state).toBe('offered');
    await this.clickButton('Accept');
    await expect
      .poll(async () => await this.transfer(name), { timeout })
      .toMatchObject({ state: 'done', verified: true });
    await this.click(`::-p-aria([name="Save ${name}"][role="link"])`);
    const saved = join(this.firefox.downloadDir, name);
    await expect
      .poll(() => !existsSync(`${saved}.part`) && existsSync(saved) && statSync(saved).size)
      .toBe(size);
    return saved;
  }

  async closeDialog(): Promise<void> {
    await this.click('dialog[open] ::-p-aria([name="Close"][role="button"])');
  }

  /** Opens "Verify <name>" and returns the emoji names of the code once it is shown. */
  async verificationCodeFor(name: string): Promise<string[]> {
    await this.clickButton(`Verify ${name}`);
    await expect
      .poll(() => this.page.$$eval('dialog[open] .sas-name', (names) => names.length))
      .toBe(SAS_EMOJI_COUNT);
    return this.page.$$eval('dialog[open] .sas-name', (names) =>
      names.map((element) => element.textContent ?? ''),
    );
  }
}
