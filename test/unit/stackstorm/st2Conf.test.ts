import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTemplate } from '../../../src/ops/template.js';
import { nodeRoles } from '../../../src/stackstorm/haRules.js';
import { st2Features } from '../../../src/stackstorm/versions.js';
import { clusterOf, BLUEPRINTS } from '../../harness/clusters.js';

describe('the shared st2.conf template', () => {
  const render = (version: string, index: number) => {
    const c = clusterOf(BLUEPRINTS(2, `st2_version=${version}`));
    const node = c.members('blueprint')[index]!;
    return renderTemplate('st2.conf.ejs', {
      features: st2Features(version), node: { name: node.name, ...nodeRoles(c, node) }, controller: '10.0.3.10', lb_url: 'https://10.0.3.10',
      messaging_url: 'amqp://st2:p%40ss@10.0.3.10:5672/', coordination_url: 'redis://:x@10.0.3.10:6379',
      auth: { backend: 'flat_file', kwargs: '{"file_path": "/etc/st2/htpasswd"}' },
    });
  };

  it('on 3.x: timers engine keys, no Mistral, the password URL-encoded', () => {
    const conf = render('3.8.1', 1);
    assert.match(conf, /^\[timersengine\]\nenable = False$/m);
    assert.match(conf, /^\[timer\]\nenable = False$/m);
    assert.doesNotMatch(conf, /^\[mistral\]/m);
    assert.match(conf, /^url = amqp:\/\/st2:p%40ss@10\.0\.3\.10:5672\/$/m);
  });

  it('from 3.3: graceful shutdown of action runners, with the service registry it relies on', () => {
    assert.match(render('3.8.1', 0), /^\[coordination\]\nurl = .*\n(#.*\n)*service_registry = True$/m);
    assert.match(render('3.8.1', 0), /^\[actionrunner\]\nlogging = .*\n(#.*\n)*graceful_shutdown = True$/m);
    assert.doesNotMatch(render('2.10.4', 0), /service_registry|graceful_shutdown/);
  });

  it('before 2.9: [timer] enable on the timers node only, and the notifier scheduler', () => {
    assert.match(render('2.8.1', 0), /^\[timer\]\nenable = True$/m);
    assert.match(render('2.8.1', 1), /^\[timer\]\nenable = False$/m);
    assert.doesNotMatch(render('2.8.1', 0), /timersengine/);
    assert.match(render('2.8.1', 0), /^\[scheduler\]\nenable = True$/m);
    assert.match(render('2.10.4', 0), /^\[mistral\]\n(#.*\n)*v2_base_url = https:\/\/10\.0\.3\.10\/mistral\/v2$/m);
  });

  it('names a variable nobody set', () => {
    assert.throws(() => renderTemplate('st2.conf.ejs', { features: st2Features('3.8.1') }), /template st2\.conf\.ejs line \d+ uses variable "lb_url", which is not defined/);
  });
});
