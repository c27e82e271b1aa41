/** Every operation, as playbooks use them: `ops.packages([...])`, `ops.confKey(...)`. */
export { packages, aptRepository } from './apt.js';
export { command } from './command.js';
export { directory } from './directory.js';
export { dirSync } from './dirSync.js';
export { file, editFile } from './file.js';
export { confKey, confKeys, iniKey, iniKeys, pgHbaRule, yamlKey } from './lineEdits.js';
export { pgHbaRules, postgresDatabase, postgresRole, postgresSetting } from './postgres.js';
export { service, services } from './service.js';
export { systemdDropIn } from './systemdDropIn.js';
export { template } from './template.js';
export { absent } from './absent.js';
export { rabbitmqUser } from './rabbitmq.js';
export { nginxConfig } from './nginx.js';
export { copy } from './copy.js';
export { kept } from './keep.js';
export { tlsFiles } from './tlsFiles.js';
export { onHosts } from './delegate.js';
export { upstreamMember, upstreamMemberFiles } from './upstream.js';
