import { MissingInput } from '../core/errors.js';
import { change } from '../core/change.js';
import type { Operation } from '../core/operation.js';
import { amqpLogin } from '../probes/amqp.js';
import type { Secret } from '../core/secret.js';
import { shellScript } from '../core/command.js';

/*
 * The password goes to rabbitmqctl on stdin ("Password:" prompt of add_user and
 * change_password), never on its command line.
 */
const ENSURE_USER = `set -e
pw=$(cat)
if rabbitmqctl -q list_users | awk '{print $1}' | grep -qxF "$1"; then
  printf '%s' "$pw" | rabbitmqctl -q change_password "$1"
else
  printf '%s' "$pw" | rabbitmqctl -q add_user "$1"
fi
rabbitmqctl -q set_permissions -p "$2" "$1" '.*' '.*' '.*'`;

export interface RabbitUserSpec {
  user: string;
  password: Secret;
  vhost?: string;
  /** where the broker listens, as seen from the host itself */
  address: string;
  port?: number;
}

/** A RabbitMQ user that can log in with this password and use the vhost, checked over AMQP. */
export function rabbitmqUser(spec: RabbitUserSpec): Operation {
  const vhost = spec.vhost ?? '/';
  return {
    title: `RabbitMQ user ${spec.user}`,
    async plan(host) {
      const login = await amqpLogin(host, spec.address, spec.port ?? 5672, spec.user, spec.password.reveal(), vhost);
      if (login === 'ok') return [];
      if (login === 'unreachable') throw new MissingInput(`a RabbitMQ server answering on ${spec.address}:${spec.port ?? 5672}`);
      const why = login === 'refused' ? 'cannot log in with its password' : `has no access to vhost ${vhost}`;
      return [
        change({
          kind: 'rabbitmq',
          summary: `RabbitMQ user ${spec.user}: set password and permissions on ${vhost} (${why})`,
          apply: async () => {
            await host.run(`setting RabbitMQ user ${spec.user}`, { argv: shellScript(ENSURE_USER, [spec.user, vhost]), stdin: spec.password.reveal() });
          },
        }),
      ];
    },
  };
}
