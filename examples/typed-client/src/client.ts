// The one place that talks to the API: a graphql-request client that signs in with `login`
// and sends the access token with every later request. What makes it "typed" is the
// documents from src/gql/, each of which carries its result and variable types.
import { ClientError, GraphQLClient } from "graphql-request";
import { LoginDocument } from "./gql/graphql.js";

export async function signIn(url: string, email: string, password: string): Promise<GraphQLClient> {
  const client = new GraphQLClient(url);
  const { login } = await client.request(LoginDocument, { email, password });
  client.setHeader("authorization", `Bearer ${login.accessToken}`);
  return client;
}

/** One line per GraphQL error, with its public code (UNAUTHENTICATED, BAD_USER_INPUT, …). */
export function describeError(error: unknown): string {
  if (error instanceof ClientError) {
    const errors = error.response.errors ?? [];
    if (errors.length === 0) {
      return `HTTP ${error.response.status} without GraphQL errors`;
    }
    return errors
      .map((graphqlError) => `${String(graphqlError.extensions?.["code"] ?? "ERROR")}: ${graphqlError.message}`)
      .join("\n");
  }
  if (error instanceof Error) {
    // fetch's own message ("fetch failed") hides the reason (ECONNREFUSED, …) in its cause.
    return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
  }
  return String(error);
}

/** The settings every command of the example reads: flags first, then the environment. */
export function connectionSettings(values: { url?: string | undefined; email?: string | undefined }) {
  const url = values.url ?? process.env["INFOHARBOR_URL"] ?? "http://127.0.0.1:8080/graphql";
  const email = values.email ?? process.env["INFOHARBOR_EMAIL"];
  // The password only from the environment: a command-line argument shows in `ps`.
  const password = process.env["INFOHARBOR_PASSWORD"];
  if (!email || !password) {
    throw new Error("set INFOHARBOR_EMAIL (or --email) and INFOHARBOR_PASSWORD");
  }
  return { url, email, password };
}
