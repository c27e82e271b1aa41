import type { Play } from '../src/core/operation.js';
import * as ops from '../src/ops/index.js';
import { clusterMaterial, clusterSecrets } from '../src/stackstorm/material.js';

/**
 * Before any host: what every host must share (passwords, the datastore key, the stanley
 * key pair, the TLS pair), made once on the control machine and kept beside the inventory.
 */
export const materialPlay: Play = {
  name: 'cluster secrets',
  hosts: 'localhost',
  steps: [
    { name: 'secrets and keys, made once on the control machine', tags: ['always'], required: true, run: (h) => ops.kept(clusterSecrets(h.cluster), clusterMaterial(h.cluster)) },
  ],
};
