/** Annotations and labels that kube generate and kube play agree on. */

/** The infra container's name when `pod create --infra-name` chose it (Podman's key). */
export const INFRA_NAME_ANNOTATION = 'io.podman.annotations.infra.name';

/** Marks the volumes a play made for a pod's emptyDir volumes, so kube down removes them with the pod. */
export const KUBE_POD_LABEL = 'io.tspod.kube.pod';
