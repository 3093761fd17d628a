/**
 * What `turnpike dev` needs from the install, checked before it starts anything: the SQLite
 * binding (its throwaway tenancy database) and an anvil binary. Both come from dependencies'
 * install scripts; a missing one is reported once, with the fix, instead of failing half-way.
 */
import { InstallIncompleteError } from '../errors/install-incomplete.js';
import { sqliteBindingProblem } from '../store/sqlite-binding.js';
import { anvilProblem } from './anvil-binary.js';

export function assertDevPrerequisites(): void {
  const problems = [sqliteBindingProblem(), anvilProblem()].filter((problem) => problem !== undefined);
  if (problems.length > 0) throw new InstallIncompleteError(problems);
}
