// What ci.sh runs before the example: a trusted correspondent creates and publishes COUNT
// opportunities ("Typed client opportunity 01" …) in one country and sector, through the
// same typed client, so the example has pages to go through.
//
//   INFOHARBOR_URL=… INFOHARBOR_EMAIL=… INFOHARBOR_PASSWORD=… node dist/seed.js COUNT COUNTRY SECTOR
import { connectionSettings, describeError, signIn } from "./client.js";
import { CreateOpportunityDocument, PublishContentDocument } from "./gql/graphql.js";

async function seed(count: number, country: string, sector: string): Promise<void> {
  const { url, email, password } = connectionSettings({});
  const client = await signIn(url, email, password);
  for (let number = 1; number <= count; number += 1) {
    const title = `Typed client opportunity ${String(number).padStart(2, "0")}`;
    const { createOpportunity } = await client.request(CreateOpportunityDocument, {
      input: {
        opportunityType: "PARTNERSHIP",
        content: {
          title,
          summary: `${title}, created by the typed client example's CI run.`,
          body: `${title}: a partner for a digital economy project.`,
          language: "en",
          countries: [country],
          sectors: [sector],
        },
      },
    });
    const { publishContent } = await client.request(PublishContentDocument, {
      id: createOpportunity.id,
      expectedUpdatedAt: createOpportunity.updatedAt,
    });
    if (publishContent.status !== "PUBLISHED") {
      throw new Error(`${title} is ${publishContent.status} after publishContent`);
    }
  }
}

const [count, country, sector] = process.argv.slice(2);
if (!count || !country || !sector || !Number.isInteger(Number(count))) {
  console.error("usage: seed.js COUNT COUNTRY SECTOR");
  process.exitCode = 2;
} else {
  try {
    await seed(Number(count), country, sector);
    console.log(`published ${count} opportunities in ${country}, sector ${sector}`);
  } catch (error) {
    console.error(describeError(error));
    process.exitCode = 1;
  }
}
