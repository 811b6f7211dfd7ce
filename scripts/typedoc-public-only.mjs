// A TypeDoc plugin for `npm run docs`: members whose names start with `_` (`_execute`,
// `_command`, `_dispatch`, ...) are how clients, views, batches and scripts talk to each other
// inside the package. They are public in TypeScript only because those classes live in different
// files; they are not part of the API, so the reference leaves them out.
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const reflection of project.getReflectionsByKind(ReflectionKind.SomeMember)) {
      if (reflection.name.startsWith('_')) project.removeReflection(reflection);
    }
  });
}
