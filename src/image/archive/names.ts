import { parseReference, normalizeDockerHub, withDefaultTag, formatReference } from '../reference.js';
import { BadInputError } from '../../util/errors.js';

/**
 * The storage name for a name found in an archive. docker-archive RepoTags use
 * Docker's familiar form (`busybox:latest` is docker.io/library/busybox);
 * an oci-archive's ref name without a registry lives under `localhost/`.
 */
export function normalizeArchiveName(name: string, kind: 'docker' | 'oci'): string {
  let ref;
  try {
    ref = parseReference(name);
  } catch {
    throw new BadInputError(`invalid image name "${name}" in the archive`);
  }
  if (!ref.domain) ref = { ...ref, domain: kind === 'docker' ? 'docker.io' : 'localhost' };
  return formatReference(withDefaultTag(normalizeDockerHub(ref)));
}
