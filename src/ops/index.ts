/** Every operation, as playbooks use them: `ops.packages([...])`, `ops.confKey(...)`. */
export { packages, aptRepository } from './apt.js';
export { command } from './command.js';
export { directory } from './directory.js';
export { dirSync } from './dirSync.js';
export { file, editFile } from './file.js';
export { confKey, confKeys, iniKey, iniKeys, pgHbaRule } from './lineEdits.js';
export { postgresDatabase, postgresRole } from './postgres.js';
export { service, services } from './service.js';
export { systemdDropIn } from './systemdDropIn.js';
export { template } from './template.js';
export { absent } from './absent.js';
export { rabbitmqUser } from './rabbitmq.js';
export { nginxConfig } from './nginx.js';
