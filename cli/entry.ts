import { main } from './main.js';

// Lambda runs a current Node.js; a Node 20 machine running the CLI needs no SDK notice.
process.exitCode = await main(process.argv.slice(2));
