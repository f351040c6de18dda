// The `sluice` command's exit codes, as the README documents them.
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The service answered with an error (4xx, 5xx): its JSON error is printed. */
  apiError: 1,
  /** Bad usage: unknown command or option, missing SLUICE_KEY, a missing or unreadable input file. */
  usage: 2,
  /** It ran and failed: a waited pull ended `failed` (or `skipped`), a connection test failed. */
  failed: 3,
  /** The service could not be reached at SLUICE_URL. */
  unreachable: 4,
  /** `pull --wait --timeout`: the run was still running when the timeout passed (it goes on). */
  stillRunning: 5,
} as const;
