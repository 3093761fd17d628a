/**
 * A dependency's install script did not run, so a native part is missing: better-sqlite3 builds
 * its SQLite binding in one, and @foundry-rs/anvil downloads the anvil binary in one when its
 * platform package (an optional dependency) was left out. npm 11 runs a dependency's install
 * scripts only once they are approved (`allowScripts`), and `--ignore-scripts` skips them all.
 * The CLI prints the message alone (no stack): it says what is missing and the commands that fix it.
 */

/** The dependencies whose install scripts Turnpike needs (docs/install.md). */
export const PACKAGES_WITH_INSTALL_SCRIPTS = ['better-sqlite3', '@foundry-rs/anvil'] as const;

export class InstallIncompleteError extends Error {
  override readonly name = 'InstallIncompleteError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const names = PACKAGES_WITH_INSTALL_SCRIPTS.join(' ');
    super(
      [
        'turnpike: the install is incomplete:',
        ...problems.map((problem) => `  - ${problem}`),
        "Dependencies' install scripts build or fetch these, and npm did not run them (--ignore-scripts,",
        'or not approved in allowScripts). Approve and run them in the folder where turnpike is installed:',
        `  npm install-scripts approve ${names}`,
        `  npm rebuild ${names}`,
        `Installed globally: npm install -g --allow-scripts=${PACKAGES_WITH_INSTALL_SCRIPTS.join(',')} turnpike`,
        "See docs/install.md in turnpike's package.",
      ].join('\n'),
    );
    this.problems = problems;
  }
}
