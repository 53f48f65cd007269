/** Polls `check` every `everyMs` until it holds; throws naming `what` after `seconds` (a hang guard, never a timing assertion). */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, seconds = 240, everyMs = 200): Promise<void> {
  for (let waited = 0; !(await check()); waited += everyMs) {
    if (waited > seconds * 1000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
