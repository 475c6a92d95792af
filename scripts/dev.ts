/**
 * `npm run dev`: the API (`amss dev`, restarted on server changes) and the console with hot reload
 * (Vite on http://127.0.0.1:5173, proxying the API and the WebSocket to the API's port), side by
 * side; Ctrl-C stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const children: ChildProcess[] = [
  spawn('npx', ['tsx', 'watch', 'src/cmd/main.ts', 'dev'], { stdio: 'inherit' }),
  spawn('npx', ['vite', '--config', 'web/vite.config.ts'], { stdio: 'inherit' }),
];
process.stdout.write('console with hot reload: http://127.0.0.1:5173/ (the API: http://127.0.0.1:8080/)\n');
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children)
  child.on('exit', (code) => {
    stop();
    process.exitCode = code ?? 0;
  });
