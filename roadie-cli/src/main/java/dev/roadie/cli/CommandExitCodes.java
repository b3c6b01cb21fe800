package dev.roadie.cli;

import dev.roadie.core.ErrorCode;

/**
 * A command whose failures exit with codes of its own rather than {@link ErrorCode#exitCode()}:
 * {@link Main} asks it for every failure the command ends with (a {@code RoadieException}'s code,
 * {@link ErrorCode#FAILURE} for anything else). Wrong arguments still exit 2.
 */
interface CommandExitCodes {
  int exitCode(ErrorCode code);
}
