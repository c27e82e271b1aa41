import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import type { Secret } from '../core/secret.js';

/*
 * sudo with a password, without ever handing the password to the command. sudo -S reads a
 * password from stdin only when it needs one: with NOPASSWD, a cached timestamp or a policy
 * that does not ask, a password line written up front would be the command's first line of
 * input (a file written with it, a script reading a secret on stdin). So nothing is written
 * before sudo has said what it wants: its prompt is a marker of this connection on stderr
 * (answered with the password, once), and the command is started by a shell that first
 * prints a second marker; only after that one does the command's own stdin flow.
 */

export interface SudoMarkers {
  prompt: string;
  ready: string;
}

export function sudoMarkers(): SudoMarkers {
  const nonce = randomBytes(9).toString('hex');
  return { prompt: `[st2prov-sudo-prompt:${nonce}]`, ready: `[st2prov-sudo-ready:${nonce}]` };
}

/** The argument vector that runs `argv` as `user` through sudo, asking for a password with the prompt marker when it needs one. */
export function sudoWithPassword(markers: SudoMarkers, user: string, argv: readonly string[]): string[] {
  return ['sudo', '-S', '-p', markers.prompt, '-u', user, '--', 'sh', '-c', 'printf %s "$0" >&2; exec "$@"', markers.ready, ...argv];
}

/** sudo that must not ask (no password in the inventory): it fails at once instead of waiting. */
export function sudoWithoutPassword(user: string, argv: readonly string[]): string[] {
  return ['sudo', '-n', '-u', user, '--', ...argv];
}

export interface SudoOutcome {
  /** the command runs: its stdin may flow now */
  started: boolean;
  /** what sudo printed on stderr before the command started (its complaints), markers removed */
  said: string;
  /** stderr the command printed in the same chunk as the ready marker */
  rest: Buffer;
}

/**
 * Answers sudo's prompt on a channel just opened, and resolves once the command itself runs
 * (the ready marker) or the channel closes first (sudo refused: a wrong password is asked
 * again, and then stdin is closed so sudo gives up at once instead of asking a third time).
 */
export function sudoHandshake(stream: ClientChannel, markers: SudoMarkers, password: Secret): Promise<SudoOutcome> {
  return new Promise((resolve) => {
    let seen = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: SudoOutcome) => {
      if (settled) return;
      settled = true;
      stream.stderr.off('data', onData);
      stream.off('close', onClose);
      resolve(outcome);
    };
    const said = (upTo: number) => seen.subarray(0, upTo).toString().split(markers.prompt).join('');
    let answered = false;
    let gaveUp = false;
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const text = seen.toString('latin1');
      const prompts = text.split(markers.prompt).length - 1;
      if (prompts >= 1 && !answered) {
        answered = true;
        stream.write(`${password.reveal()}\n`);
      }
      if (prompts >= 2 && !gaveUp) {
        gaveUp = true;
        stream.end();
      }
      const ready = text.indexOf(markers.ready);
      if (ready >= 0) finish({ started: true, said: said(ready), rest: seen.subarray(ready + markers.ready.length) });
    };
    const onClose = () => finish({ started: false, said: said(seen.length), rest: Buffer.alloc(0) });
    stream.stderr.on('data', onData);
    stream.once('close', onClose);
  });
}
