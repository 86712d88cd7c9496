// Child-process entry (forked by mjml-elsewhere.ts): one MJML document → HTML over IPC, then exit.
// Plain JavaScript, so the child starts without the TypeScript loader.
process.once('message', async (msg) => {
  try {
    const { default: mjml2html } = await import('mjml');
    const result = await mjml2html(msg.source, msg.options);
    const errors = (result.errors ?? []).map((e) => ({ line: e.line, message: e.message }));
    process.send({ ok: true, html: result.html, errors }, () => process.exit(0));
  } catch (e) {
    const errors = (e && e.errors) || [];
    process.send({ ok: false, message: e instanceof Error ? e.message : String(e), errors: errors.map((x) => ({ line: x.line, message: x.message })) }, () => process.exit(0));
  }
});
