import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, isTskoError } from '@tsko/resolve';

// The real kubectl, pointed at a closed port on loopback: it reads the manifests, fails to
// reach the API server and exits non-zero, which is all this test needs.
const SECRET_VALUE = 'c3VwZXItc2VjcmV0LXBhc3N3b3JkLTQyNDI=';
const MANIFEST = `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: ${SECRET_VALUE}\n`;

describe('kubectl failures', () => {
  it('carry kubectl stderr and exit status but never the manifests piped in (they may hold Secrets)', async () => {
    await assert.rejects(
      apply(MANIFEST, {
        build: async () => 'unused',
        kubectlArgs: ['--server=http://127.0.0.1:9', '--validate=false', '--request-timeout=5s'],
        environment: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', KUBECONFIG: '/dev/null' },
      }),
      (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_KUBECTL_FAILED'), String(err));
        assert.equal(err.details?.verb, 'apply');
        assert.equal(err.details?.program, 'kubectl');
        assert.ok(typeof err.details?.exitCode === 'number' && err.details.exitCode !== 0);
        assert.match(err.details?.stderr ?? '', /127\.0\.0\.1:9/);
        const everything = JSON.stringify({ message: err.message, details: err.details });
        assert.ok(!everything.includes(SECRET_VALUE), everything);
        assert.ok(!everything.includes('kind: Secret'), everything);
        return true;
      },
    );
  });
});
