// The naive proxy many teams run: Express + express.json() + fetch() per request, one process.
// Deliberately unoptimized — it is the baseline Turnpike must beat by 10×.
// Usage: node express-proxy.mjs <port> <upstream-url>
import express from 'express';

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) {
  console.error('usage: express-proxy.mjs <port> <upstream-url>');
  process.exit(2);
}

const app = express();
app.use(express.json());
app.use(async (req, res) => {
  try {
    const r = await fetch(upstream, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req.body),
    });
    res.json(await r.json());
  } catch (err) {
    res
      .status(502)
      .json({ jsonrpc: '2.0', id: req.body?.id ?? null, error: { code: -32603, message: String(err) } });
  }
});

const server = app.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
