import type { Play } from '../src/core/operation.js';
import { blueprintPlay } from './blueprint.js';
import { controllerPlay } from './controller.js';
import { controllerTierPlay } from './controllerTier.js';
import { materialPlay } from './material.js';

/** The whole cluster: its shared secrets, the controller (or the tier, clustered), then the blueprints (which need it). */
export const plays: Play[] = [materialPlay, controllerPlay, controllerTierPlay, blueprintPlay];
