import { lazy, onceEach } from '../core/lazy.js';

const satisfies = lazy<typeof import('semver').satisfies>('semver/functions/satisfies');

/**
 * What a StackStorm version has, from its release notes: Mistral and PostgreSQL until 3.3,
 * st2workflowengine from 2.8, st2timersengine from 2.9, st2scheduler from 2.10,
 * st2resultstracker until 3.4, Redis as the default coordination from 3.5.
 */
export interface St2Features {
  version: string;
  mistral: boolean;
  workflowEngine: boolean;
  timersEngine: boolean;
  scheduler: boolean;
  resultsTracker: boolean;
  /** before 2.10 the notifier doubles as scheduler: exactly one may have it on */
  notifierScheduler: boolean;
}

/** The features of a version as settings parse it (semver, already validated); worked out once a run for each version (every host's every step asks). */
export const st2Features: (version: string) => St2Features = onceEach((version: string) => Object.freeze(featuresFrom(version)));

function featuresFrom(version: string): St2Features {
  const at = (range: string) => satisfies()(version, range);
  return {
    version,
    mistral: at('<3.3.0'),
    workflowEngine: at('>=2.8.0'),
    timersEngine: at('>=2.9.0'),
    scheduler: at('>=2.10.0'),
    resultsTracker: at('<3.4.0'),
    notifierScheduler: at('<2.10.0'),
  };
}

/** The st2 components of a version, as st2ctl knows them. */
export function st2Components(f: St2Features): string[] {
  return [
    'st2actionrunner', 'st2api', 'st2stream', 'st2auth', 'st2garbagecollector', 'st2notifier',
    ...(f.resultsTracker ? ['st2resultstracker'] : []),
    'st2rulesengine', 'st2sensorcontainer',
    ...(f.timersEngine ? ['st2timersengine'] : []),
    ...(f.workflowEngine ? ['st2workflowengine'] : []),
    ...(f.scheduler ? ['st2scheduler'] : []),
  ];
}
