// Prints graphql-js's standard introspection query with every option on, as GraphiQL, Apollo,
// graphql-codegen and most client tools send it. The tests keep its output as a fixture:
//   node tools/graphql-http-audit/introspection.mjs > tests/tests/api/clients/graphql-js-introspection.graphql
import { getIntrospectionQuery } from 'graphql';

process.stdout.write(
  getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  }),
);
