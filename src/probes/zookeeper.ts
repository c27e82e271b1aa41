import type { Duplex } from 'node:stream';
import type { TcpOpener } from '../core/command.js';
import { onAnswer } from './answer.js';

/**
 * ZooKeeper's `srvr` four-letter word from a host: the server's mode (leader, follower,
 * standalone) as it answers it. A server without a quorum answers that it is not serving
 * requests; one that does not allow the word says so.
 */
export function zookeeperMode(from: TcpOpener, address: string, port: number): Promise<string> {
  return from.withTcp(address, port, (stream) => fourLetterWord(stream, 'srvr')).then(parseSrvr);
}

function fourLetterWord(stream: Duplex, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5000);
    onAnswer(stream, 'ZooKeeper', (chunk) => (text += chunk.toString()), (err) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.on('error', (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
    // ZooKeeper answers and closes its side: over an SSH channel that is 'end' (the channel closes only once both sides did)
    const done = () => {
      clearTimeout(timer);
      resolve(text);
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.write(word);
  });
}

/** The mode `srvr` reports, else why there is none (the server's own words, on one line). */
export function parseSrvr(text: string): string {
  const mode = /^Mode:\s*(\S+)/m.exec(text)?.[1];
  if (mode) return mode;
  return text.trim().split('\n')[0]?.trim() || 'no answer';
}
