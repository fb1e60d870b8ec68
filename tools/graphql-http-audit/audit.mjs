// Runs the GraphQL over HTTP audit (graphql-http's auditServer) against a running server and
// prints every result; exits 1 when a MUST or a SHOULD fails (MAYs are printed, not required).
//   node tools/graphql-http-audit/audit.mjs http://127.0.0.1:8080/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = await auditServer({ url });
const levels = ['MUST', 'SHOULD', 'MAY'];
const counts = Object.fromEntries(levels.map((level) => [level, { passed: 0, total: 0 }]));
for (const result of results) {
  const level = levels.find((candidate) => result.name.startsWith(candidate));
  counts[level].total += 1;
  if (result.status === 'ok') {
    counts[level].passed += 1;
    console.log(`ok    ${result.id} ${result.name}`);
  } else {
    console.log(`${result.status.padEnd(5)} ${result.id} ${result.name}: ${result.reason}`);
    if (result.response) {
      const body = await result.response.text().catch(() => '');
      console.log(`      ${result.response.status} ${result.response.headers.get('content-type')} ${body.slice(0, 300)}`);
    }
  }
}

const summary = levels.map((level) => `${level} ${counts[level].passed}/${counts[level].total}`);
console.log(`graphql-http audit: ${summary.join(', ')}`);
const required = ['MUST', 'SHOULD'];
process.exit(required.every((level) => counts[level].passed === counts[level].total) ? 0 : 1);
