// Render ZPL files to PNG with zebrash (zpl-renderer-js), a ZPL viewer that shares no code
// with Hemaflow: node render_zpl.cjs DOTS_PER_MM WIDTH_MM HEIGHT_MM in.zpl out.png [in out...]
// Exit status 3 when zpl-renderer-js is not installed (npm ci --prefix <this directory>).
const fs = require("node:fs");
let renderer;
try {
  renderer = require("zpl-renderer-js");
} catch (error) {
  console.error(`missing npm package zpl-renderer-js; install with: npm ci --prefix ${__dirname}`);
  process.exit(3);
}
(async () => {
  const [dpmm, width, height, ...files] = process.argv.slice(2);
  const { api } = await renderer.ready;
  for (let i = 0; i + 1 < files.length; i += 2) {
    const zpl = fs.readFileSync(files[i], "utf8");
    const png = await api.zplToBase64Async(zpl, Number(width), Number(height), Number(dpmm));
    fs.writeFileSync(files[i + 1], Buffer.from(png, "base64"));
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
