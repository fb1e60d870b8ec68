// graphql-codegen's configuration: types for the example's operations (src/*.graphql), checked
// against the schema the repository commits. `npm run codegen` writes them to src/gql/.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  // The committed copy of `infoharbor schema`; a test in the Rust suite keeps it current, so
  // an operation that no longer fits the API fails here, before anything runs.
  schema: "../../schema.graphql",
  documents: ["src/**/*.graphql"],
  emitLegacyCommonJSImports: false,
  ignoreNoDocuments: false,
  errorsOnly: false,
  generates: {
    "src/gql/": {
      preset: "client",
      // The operations are in .graphql files, so each becomes a typed `…Document` export of
      // src/gql/graphql.ts; no fragment masking, as the example has no fragments.
      presetConfig: { fragmentMasking: false },
      config: {
        // The API's custom scalars travel as ISO 8601 strings; `strictScalars` fails codegen
        // when the schema gains a scalar this file does not map.
        strictScalars: true,
        scalars: { Date: "string", DateTime: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
