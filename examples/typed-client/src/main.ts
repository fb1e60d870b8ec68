// The example: signs in, then pages through the opportunities (optionally of one country)
// with `first`/`after` until `hasNextPage` is false, printing each title and its countries.
// Exits 1 on any GraphQL error, 2 on bad arguments.
//
//   INFOHARBOR_URL=http://127.0.0.1:8080/graphql INFOHARBOR_EMAIL=… INFOHARBOR_PASSWORD=… \
//     node dist/main.js [--country VN] [--page-size 10]
import { parseArgs } from "node:util";
import { connectionSettings, describeError, signIn } from "./client.js";
import { OpportunitiesDocument, type ContentFilter, type OpportunitiesQuery } from "./gql/graphql.js";

const usage = "usage: main.js [--url URL] [--email EMAIL] [--country CODE] [--page-size N]";

async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs({
      options: {
        url: { type: "string" },
        email: { type: "string" },
        country: { type: "string" },
        "page-size": { type: "string", default: "10" },
      },
    }).values;
  } catch (error) {
    console.error(`${describeError(error)}\n${usage}`);
    return 2;
  }
  const pageSize = Number(options["page-size"]);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    console.error(`--page-size must be 1 to 100 (the API's largest page)\n${usage}`);
    return 2;
  }
  let settings;
  try {
    settings = connectionSettings(options);
  } catch (error) {
    console.error(`${describeError(error)}\n${usage}`);
    return 2;
  }

  try {
    const client = await signIn(settings.url, settings.email, settings.password);
    const filter: ContentFilter | null = options.country ? { countries: [options.country] } : null;
    let after: string | null = null;
    let listed = 0;
    let pages = 0;
    let totalCount = 0;
    for (;;) {
      // OpportunitiesDocument types both the variables and the result, so a misspelt field or
      // a variable of the wrong type is a compile error. (The annotation only breaks the
      // inference cycle through `after`; TypeScript checks it against the document's type.)
      const { opportunities }: OpportunitiesQuery = await client.request(OpportunitiesDocument, {
        first: pageSize,
        after,
        filter,
      });
      pages += 1;
      totalCount = opportunities.totalCount;
      for (const { node } of opportunities.edges) {
        listed += 1;
        console.log(`${node.title}\t${node.countries.map((country) => country.code).join(",")}`);
      }
      if (!opportunities.pageInfo.hasNextPage) {
        break;
      }
      after = opportunities.pageInfo.endCursor;
    }
    const pagesWord = pages === 1 ? "page" : "pages";
    console.log(`${listed} opportunities in ${pages} ${pagesWord} (totalCount ${totalCount})`);
    return 0;
  } catch (error) {
    console.error(describeError(error));
    return 1;
  }
}

process.exitCode = await main();
