// The keepalive provider for OpenTofu and Terraform: a plugin protocol 6 server (plugin.ts), started by
// OpenTofu through the executable provider/bin/terraform-provider-keepalive (scripts/tofu puts it in a
// filesystem mirror). Run by hand, without OpenTofu's handshake environment, it says what it is and
// exits 1.
import { handshakeProblem, serve } from './plugin.ts';

const problem = handshakeProblem(process.env);
if (problem !== undefined) {
  process.stderr.write(`terraform-provider-keepalive: ${problem}\n`);
  process.exit(1);
}
serve().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`terraform-provider-keepalive: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
