// Run by api-testcontainers.test.ts in a process of its own, so that testcontainers' reaper
// session ends when this process exits. Starts two web servers from the busybox image with
// an exposed port and an HTTP wait strategy, reads a page from each through its mapped
// port, stops one and leaves the other for the reaper. Prints what it saw as JSON.
import { GenericContainer, Wait } from 'testcontainers';

const image = process.argv[2];

async function webServer(page) {
  return new GenericContainer(image)
    .withCommand(['sh', '-c', `mkdir -p /www && echo ${page} > /www/index.html && exec httpd -f -p 80 -h /www`])
    .withExposedPorts(80)
    .withWaitStrategy(Wait.forHttp('/', 80))
    .start();
}

async function fetchPage(container) {
  const res = await fetch(`http://${container.getHost()}:${container.getMappedPort(80)}/`);
  return (await res.text()).trim();
}

const stopped = await webServer('first');
const left = await webServer('second');
const result = {
  stoppedId: stopped.getId(),
  leftId: left.getId(),
  pages: [await fetchPage(stopped), await fetchPage(left)],
  sessionLabel: left.getLabels()['org.testcontainers.session-id'],
};
await stopped.stop();
console.log(JSON.stringify(result));
process.exit(0);
