/**
 * `turnpike/tenancy-store`: the database and the tenancy store on it, so a benchmark can seed
 * plans, projects and keys and read the metered usage back (imported by package name, not by a
 * path into dist/).
 */
export { openDatabase, type StoreDatabase } from '../store/database.js';
export { SqlTenancyStore } from './sql-tenancy-store.js';
