// A real OpenID Connect provider (panva/oidc-provider) on 127.0.0.1 for Cadence's sign-in tests.
//
//   node provider.mjs <port> <client_id> <client_secret> <redirect_uri>
//
// Its built-in development login page signs in whoever types a login: the login is the account's
// e-mail address. An address starting with "unverified." comes back with email_verified false.
// Prints "ready <issuer>" on stdout once it listens.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !id.startsWith("unverified."), name: id.split("@")[0] };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["cadence-test-only"] },
});
provider.proxy = false;

const server = provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
