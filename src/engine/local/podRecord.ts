import type { ContainerSpec } from '../spec/containerSpec.js';

/** What tspod keeps about a pod; its state is derived from its containers'. */
export interface PodConfig {
  id: string;
  name: string;
  /** RFC 3339 with nanoseconds. */
  created: string;
  createCommand: string[];
  labels: Record<string, string>;
  /** As given (--hostname); the infra container's hostname defaults to the pod's name. */
  hostname: string;
  /** Namespaces the containers share with the infra container. */
  share: string[];
  shareParent: boolean;
  cgroupParent: string;
  exitPolicy: 'continue' | 'stop';
  infraId?: string;
  /** The infra container's networking as asked, for inspect's InfraConfig. */
  infraNetwork?: Pick<ContainerSpec, 'network' | 'networks' | 'portMappings' | 'dns' | 'dnsSearch' | 'dnsOptions' | 'addHosts' | 'noHosts'>;
}
