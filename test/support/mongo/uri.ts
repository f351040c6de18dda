// Rewrites the credentials in a mongodb:// connection string, for tests that connect with a
// wrong password or none; works for the test server's URI and a real MONGODB_URI alike.
const CREDENTIALS = /^(mongodb(?:\+srv)?:\/\/)([^@/]*)@/;

export function hasCredentials(uri: string): boolean {
  return CREDENTIALS.test(uri);
}

export function withPassword(uri: string, password: string): string {
  return uri.replace(CREDENTIALS, (_all, scheme: string, userInfo: string) => {
    const user = userInfo.split(":")[0];
    return `${scheme}${user}:${encodeURIComponent(password)}@`;
  });
}

export function withoutCredentials(uri: string): string {
  return uri.replace(CREDENTIALS, "$1");
}
