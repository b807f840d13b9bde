// Entry of every child process: node --import tsx child-main.ts <system> <task> <json args>.
// Runs the default export of src/<system>/<task>.ts and sends its return value to the parent.
const [system, task, json] = process.argv.slice(2);
const module = await import(`./${system}/${task}.ts`);
try {
  const value = await module.default(JSON.parse(json ?? '{}'));
  // Some libraries keep timers or sockets open; once the parent has the result, leave at once.
  process.send?.({ type: 'result', value: value ?? null }, () => process.exit(0));
} catch (err) {
  console.error(err);
  process.exit(1);
}
