// Runs before `npm start` and `npm test`: a clear message instead of an obscure crash on old Node.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `This kit needs Node.js 22.12 or newer; this is Node.js ${process.versions.node}.\n` +
      'Install Node 22 (see .nvmrc: `nvm use`) and run the command again.',
  );
  process.exit(1);
}
