/** Demo steps after the type listing: a definition, two runs, the data and the run reports. */
export const extraSteps: { args: string[]; stdin?: string }[] = [
  {
    args: [
      "model",
      "create",
      "@acme/greeter",
      "hello",
      "--global-arg",
      "name=World",
    ],
  },
  { args: ["model", "method", "run", "hello", "greet"] },
  {
    args: [
      "model",
      "method",
      "run",
      "hello",
      "greet",
      "--input",
      "punctuation=?",
      "--timings",
    ],
  },
  { args: ["data", "versions", "hello", "main"] },
  { args: ["data", "get", "hello", "main"] },
  {
    args: [
      "model",
      "create",
      "command/shell",
      "uptime",
      "--global-arg",
      "run=echo hello from the shell",
    ],
  },
  { args: ["model", "method", "run", "uptime", "execute"] },
  { args: ["data", "list"] },
  { args: ["run", "list"] },
];
