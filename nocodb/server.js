// NocoDB's own Docker entry point, less Docker: the npm package has no CLI of its own.
// Listens on loopback only; nginx is its face. Settings come from the environment (NC_*).
const express = require('express');
const { Noco } = require('nocodb');

(async () => {
  const app = express();
  const server = app.listen(Number(process.env.PORT || 8080), '127.0.0.1');
  app.use(await Noco.init({}, server, app));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
