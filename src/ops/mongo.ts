import { change } from '../core/change.js';
import { MissingInput, RemoteCommandError } from '../core/errors.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import type { BsonDocument } from '../probes/bson.js';
import { mongoCommand, mongoCommands, mongoError, type MongoReply } from '../probes/mongo.js';

export interface ReplicaSetSpec {
  name: string;
  /** every member as host:port, in order: the first initiates the set */
  members: readonly string[];
  /** this host's member */
  self: string;
}

function split(member: string): [string, number] {
  const at = member.lastIndexOf(':');
  return [member.slice(0, at), Number(member.slice(at + 1))];
}

async function hello(host: HostContext, member: string): Promise<MongoReply | undefined> {
  const [address, port] = split(member);
  try {
    return (await mongoCommands(host, address, port, [])).hello;
  } catch {
    return undefined;
  }
}

async function run(host: HostContext, member: string, command: BsonDocument, purpose: string): Promise<MongoReply> {
  const [address, port] = split(member);
  const reply = await mongoCommand(host, address, port, command);
  const error = mongoError(reply);
  if (error) throw new RemoteCommandError(purpose, null, error);
  return reply;
}

/**
 * A MongoDB replica set of every controller. The first member initiates it once, when none
 * of the members is in a set yet (a rebuilt first controller joins the set the others kept,
 * which hands it the config). Later the primary brings the members in line with the inventory
 * (a controller added or replaced at another address). Members of the set that the primary
 * serves are found from its own view, so any member may do it.
 */
export function mongoReplicaSet(spec: ReplicaSetSpec): Operation {
  return {
    title: `MongoDB replica set ${spec.name}`,
    async plan(h) {
      const me = await hello(h, spec.self);
      if (!me) throw new MissingInput(`MongoDB answering on ${spec.self}`);
      if (me.setName !== undefined && me.setName !== spec.name) {
        throw new RemoteCommandError(`MongoDB at ${spec.self} is in replica set "${String(me.setName)}", not "${spec.name}"`, null, 'its data belongs to another set: move it away before this host joins');
      }
      if (me.setName === undefined) {
        if (me.isreplicaset !== true) throw new MissingInput(`MongoDB at ${spec.self} running with the replica set name ${spec.name}`);
        if (spec.self !== spec.members[0]) return [];
        const others = await Promise.all(spec.members.filter((m) => m !== spec.self).map((m) => hello(h, m)));
        if (others.some((o) => o?.setName === spec.name)) return [];
        const config = { _id: spec.name, members: spec.members.map((host, i) => ({ _id: i, host })) };
        return [change({
          kind: 'mongodb',
          summary: `initiate MongoDB replica set ${spec.name} with ${spec.members.join(', ')}`,
          apply: async () => void (await run(h, spec.self, { replSetInitiate: config }, `initiating replica set ${spec.name}`)),
        })];
      }
      if (me.ismaster !== true) return [];
      const { config } = await run(h, spec.self, { replSetGetConfig: 1 }, 'reading the replica set config') as { config: BsonDocument };
      const members = config.members as BsonDocument[];
      const hosts = members.map((m) => String(m.host));
      if (hosts.length === spec.members.length && hosts.every((m) => spec.members.includes(m))) return [];
      let next = Math.max(-1, ...members.map((m) => Number(m._id))) + 1;
      const wanted = spec.members.map((host) => members.find((m) => m.host === host) ?? { _id: next++, host });
      return [change({
        kind: 'mongodb',
        summary: `replica set ${spec.name}: members ${hosts.join(', ')} → ${spec.members.join(', ')}`,
        apply: async () => void (await run(h, spec.self, { replSetReconfig: { ...config, version: Number(config.version) + 1, members: wanted } }, `reconfiguring replica set ${spec.name}`)),
      })];
    },
  };
}
