import type { Play } from '../src/engine/operation.js';
import { blueprintPlay } from './blueprint.js';
import { controllerPlay } from './controller.js';

/** The whole cluster: the controller first, then the blueprints (which need it). */
export const plays: Play[] = [controllerPlay, blueprintPlay];
