import type { Play } from '../src/core/operation.js';
import { blueprintPlay, versionGatePlay } from './blueprint.js';
import { controllerPlay } from './controller.js';
import { controllerTierPlay } from './controllerTier.js';
import { materialPlay } from './material.js';

/** The whole cluster: its shared secrets and the version gate, the controller (or the tier, clustered), then the blueprints (which need it). */
export const plays: Play[] = [materialPlay, versionGatePlay, controllerPlay, controllerTierPlay, blueprintPlay];
