import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { parseSort } from '../../../app/pagination.js';
import {
  SKILL_REQUIREMENT_SORT_FIELDS,
  skillRequirementView,
  type PersonCheck,
  type ResolvedWork,
  type WorkQuery,
} from '../../../app/qualifications.js';
import type { Services } from '../../../app/services.js';
import { MISSING_KINDS, MISSING_REASONS, QUALIFICATION_PURPOSES } from '../../../domain/qualification.js';
import { TASK_TYPES } from '../../../domain/task.js';
import { createdLocation, mutationContext } from '../context.js';
import { CursorQuery, pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  errorResponses,
  IdParams,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  sortQuery,
  timestampField,
  toDate,
  uuidField,
} from '../schemas/common.js';

const EXAMPLE_B1 = '3f1c9a52-7d4e-4b8a-9c21-5e6f7a8b9c0d';
const EXAMPLE_A320 = '8a2b4c6d-1e3f-4a5b-8c7d-9e0f1a2b3c4d';

const nullable = <T extends TSchema>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

const TaskTypeField = Type.Enum(TASK_TYPES, {
  description: 'The type of task the requirement applies to: inspection, repair or overhaul.',
});

const Proficiency = Type.Integer({
  minimum: 1,
  maximum: 5,
  description:
    'The lowest proficiency (1 trainee – 5 expert) the skill must be held at; needs skill_type_id.',
});

const RecencyHours = Type.Number({
  exclusiveMinimum: 0,
  maximum: 999_999,
  description: 'Hours on the task aircraft’s type the person must have logged within recency_window_days.',
});

const RecencyDays = Type.Integer({
  minimum: 1,
  maximum: 3650,
  description: 'The window of min_recency_hours in days (of 24 hours) before the work starts.',
});

const Description = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'Why the requirement exists.',
});

/** A task skill requirement. */
const SkillRequirement = Type.Object(
  {
    id: uuidField('Requirement id.'),
    org_id: uuidField('The organization the requirement belongs to.'),
    task_type: TaskTypeField,
    aircraft_type_id: nullable(
      uuidField('Only tasks on aircraft of this type.'),
      'Only tasks on aircraft of this type; null: any aircraft.',
    ),
    program_id: nullable(
      uuidField('Only tasks of this maintenance program.'),
      'Only tasks of this maintenance program; null: any task of the type.',
    ),
    certification_type_id: nullable(
      uuidField('The certification type the person must hold.'),
      'The certification type the person must hold (active, unexpired for the work); null: none.',
    ),
    type_rating_required: Type.Boolean({
      description: 'The person must hold a live type rating on the task aircraft’s type.',
    }),
    skill_type_id: nullable(uuidField('The skill the person must hold.'), 'The skill required; null: none.'),
    min_proficiency: nullable(Type.Integer(), 'The lowest proficiency of the skill; null: any.'),
    min_recency_hours: nullable(Type.Number(), 'Hours on the type within recency_window_days; null: none.'),
    recency_window_days: nullable(Type.Integer(), 'The recency window in days; null with min_recency_hours.'),
    certifying: Type.Boolean({ description: 'Binds whoever signs a compliance item of the task off.' }),
    inspection: Type.Boolean({ description: 'Binds the independent inspector of the task.' }),
    description: nullable(Type.String(), 'Why the requirement exists.'),
    created_at: timestampField('When the requirement was created.'),
    updated_at: timestampField('When the requirement last changed.'),
  },
  {
    additionalProperties: false,
    description:
      'What a person needs for a type of task, optionally narrowed to an aircraft type and/or a program. Rows with neither flag bind the performer (assignment, start, completion); certifying rows the signer; inspection rows the inspector.',
    examples: [
      {
        id: '5b7c9d1e-2f3a-4b5c-8d6e-7f8a9b0c1d2e',
        org_id: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
        task_type: 'inspection',
        aircraft_type_id: EXAMPLE_A320,
        program_id: null,
        certification_type_id: EXAMPLE_B1,
        type_rating_required: true,
        skill_type_id: null,
        min_proficiency: null,
        min_recency_hours: 8,
        recency_window_days: 180,
        certifying: false,
        inspection: false,
        description: 'A320 inspections: a B1 with the A320 rating and 8 hours on type in 6 months',
        created_at: '2026-01-15T08:00:00.000Z',
        updated_at: '2026-01-15T08:00:00.000Z',
      },
    ],
  },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    task_type: Type.Optional(Type.Enum(TASK_TYPES, { description: 'Only requirements of this task type.' })),
    aircraft_type_id: Type.Optional(uuidField('Only requirements narrowed to this aircraft type.')),
    program_id: Type.Optional(uuidField('Only requirements narrowed to this program.')),
    sort: sortQuery(SKILL_REQUIREMENT_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    task_type: TaskTypeField,
    aircraft_type_id: Type.Optional(uuidField('Narrows the requirement to tasks on aircraft of this type.')),
    program_id: Type.Optional(
      uuidField('Narrows the requirement to tasks of this program (a live program of the organization).'),
    ),
    certification_type_id: Type.Optional(
      uuidField('A certification type the person must hold: a global one or the organization’s own.'),
    ),
    type_rating_required: Type.Optional(
      Type.Boolean({ description: 'Require a type rating on the task aircraft’s type (default false).' }),
    ),
    skill_type_id: Type.Optional(
      uuidField('A skill the person must hold: a global one or the organization’s own.'),
    ),
    min_proficiency: Type.Optional(Proficiency),
    min_recency_hours: Type.Optional(RecencyHours),
    recency_window_days: Type.Optional(RecencyDays),
    certifying: Type.Optional(
      Type.Boolean({ description: 'Binds the signer of a sign-off (default false).' }),
    ),
    inspection: Type.Optional(
      Type.Boolean({ description: 'Binds the independent inspector (default false).' }),
    ),
    description: Type.Optional(Description),
  },
  {
    additionalProperties: false,
    description:
      'A new requirement; it must require something (a certification, a type rating, a skill or recency).',
    examples: [
      {
        task_type: 'inspection',
        aircraft_type_id: EXAMPLE_A320,
        certification_type_id: EXAMPLE_B1,
        type_rating_required: true,
        min_recency_hours: 8,
        recency_window_days: 180,
      },
    ],
  },
);

const UpdateBody = Type.Object(
  {
    task_type: Type.Optional(TaskTypeField),
    aircraft_type_id: Type.Optional(nullable(uuidField('Aircraft type.'), 'Aircraft type; null: any.')),
    program_id: Type.Optional(nullable(uuidField('Program.'), 'Program; null: any.')),
    certification_type_id: Type.Optional(nullable(uuidField('Certification type.'), 'null: none.')),
    type_rating_required: Type.Optional(Type.Boolean({ description: 'Require a type rating on the type.' })),
    skill_type_id: Type.Optional(
      nullable(uuidField('Skill type.'), 'null: none (clears min_proficiency too).'),
    ),
    min_proficiency: Type.Optional(nullable(Proficiency, 'null: any proficiency.')),
    min_recency_hours: Type.Optional(nullable(RecencyHours, 'null: no recency (with recency_window_days).')),
    recency_window_days: Type.Optional(nullable(RecencyDays, 'null with min_recency_hours.')),
    certifying: Type.Optional(Type.Boolean({ description: 'Binds the signer of a sign-off.' })),
    inspection: Type.Optional(Type.Boolean({ description: 'Binds the independent inspector.' })),
    description: Type.Optional(nullable(Description, 'null clears it.')),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change; the result must still require something.',
    examples: [{ min_recency_hours: 12, recency_window_days: 90 }],
  },
);

/** The query naming the work to check against. */
const WorkQueryFields = {
  task_id: Type.Optional(
    uuidField(
      'A live task of the organization: its type, aircraft type, program and window. Excludes the fields below.',
    ),
  ),
  task_type: Type.Optional(Type.Enum(TASK_TYPES, { description: 'Without task_id: the task type.' })),
  aircraft_type_id: Type.Optional(uuidField('Without task_id: the aircraft type (leave out for none).')),
  program_id: Type.Optional(uuidField('Without task_id: the program the work belongs to.')),
  start_time: Type.Optional(timestampField('Without task_id: when the work starts.')),
  end_time: Type.Optional(timestampField('Without task_id: when the work ends (after start_time).')),
  purpose: Type.Optional(
    Type.Enum(QUALIFICATION_PURPOSES, {
      description:
        'perform (default): the requirements with neither flag; certify: the certifying ones; inspect: the inspection ones plus any inspection authority.',
    }),
  ),
};

const CheckQuery = Type.Object({ ...OrgScopeQuery, ...WorkQueryFields }, { additionalProperties: false });

const Missing = Type.Object(
  {
    kind: Type.Enum(MISSING_KINDS, { description: 'certification, type_rating, skill or recency.' }),
    type_id: nullable(
      uuidField('The type at stake.'),
      'The certification, skill or aircraft type at stake; null for "any inspection authority".',
    ),
    name: Type.String({ description: 'Its name (an aircraft type by designator).' }),
    reason: Type.Enum(MISSING_REASONS, { description: 'Why it does not count.' }),
    message: Type.String({ description: 'The reason in words, with the dates or numbers involved.' }),
  },
  { additionalProperties: false, description: 'One thing the person lacks.' },
);

const Work = Type.Object(
  {
    task_id: nullable(uuidField('The task checked against.'), 'The task checked against, or null.'),
    task_type: TaskTypeField,
    aircraft_type_id: nullable(uuidField('Aircraft type.'), 'The aircraft type matched on, or null.'),
    program_id: nullable(uuidField('Program.'), 'The program matched on, or null.'),
    start_time: timestampField('When the work starts.'),
    end_time: timestampField('When the work ends.'),
    purpose: Type.Enum(QUALIFICATION_PURPOSES, { description: 'What the person is checked for.' }),
  },
  { additionalProperties: false, description: 'The work the check was made against.' },
);

const CheckResult = Type.Object(
  {
    user_id: uuidField('The person checked.'),
    work: Work,
    qualified: Type.Boolean({ description: 'true when nothing is missing.' }),
    missing: Type.Array(Missing, { description: 'What the person lacks, each thing once.' }),
    free: Type.Boolean({
      description: 'No other scheduled or in-progress task of theirs overlaps the window.',
    }),
    overlapping_task_ids: Type.Array(uuidField('A task of theirs overlapping the window.'), {
      description: 'Their other live scheduled or in-progress tasks overlapping the window.',
    }),
  },
  {
    additionalProperties: false,
    description: 'Whether one person meets the requirements of the work.',
    examples: [
      {
        user_id: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a',
        work: {
          task_id: null,
          task_type: 'inspection',
          aircraft_type_id: EXAMPLE_A320,
          program_id: null,
          start_time: '2026-06-01T08:00:00.000Z',
          end_time: '2026-06-01T16:00:00.000Z',
          purpose: 'perform',
        },
        qualified: false,
        missing: [
          {
            kind: 'certification',
            type_id: EXAMPLE_B1,
            name: 'Part-66 Category B1',
            reason: 'CERT_EXPIRED',
            message:
              'Part-66 Category B1 expires 2026-06-01T12:00:00.000Z, before the work ends 2026-06-01T16:00:00.000Z',
          },
        ],
        free: true,
        overlapping_task_ids: [],
      },
    ],
  },
);

const MechanicResult = Type.Object(
  {
    user_id: uuidField('The mechanic.'),
    email: Type.String({ description: 'The mechanic’s email.' }),
    qualified: Type.Boolean({ description: 'true when nothing is missing.' }),
    missing: Type.Array(Missing, { description: 'What the mechanic lacks.' }),
    free: Type.Boolean({
      description: 'No other scheduled or in-progress task of theirs overlaps the window.',
    }),
    overlapping_task_ids: Type.Array(uuidField('A task of theirs overlapping the window.'), {
      description: 'Their other live scheduled or in-progress tasks overlapping the window.',
    }),
  },
  { additionalProperties: false, description: 'One mechanic in the assignment dialog.' },
);

const QualifiedMechanics = Type.Array(MechanicResult, {
  description:
    'Every live mechanic of the organization, qualified and free first, then by email (not paginated: the dialog needs them all).',
  examples: [
    [
      {
        user_id: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a',
        email: 'mechanic@demo.local',
        qualified: true,
        missing: [],
        free: true,
        overlapping_task_ids: [],
      },
      {
        user_id: '4f5a6b7c-8d9e-4f0a-8b1c-2d3e4f5a6b7c',
        email: 'mechanic2@demo.local',
        qualified: false,
        missing: [
          {
            kind: 'recency',
            type_id: EXAMPLE_A320,
            name: 'A320',
            reason: 'RECENCY_INSUFFICIENT',
            message:
              '2 hours on A320 between 2026-03-03T08:00:00.000Z and 2026-06-01T08:00:00.000Z; 8 required within 90 days',
          },
        ],
        free: false,
        overlapping_task_ids: ['7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f'],
      },
    ],
  ],
});

const workView = (work: ResolvedWork) => ({
  task_id: work.taskId,
  task_type: work.taskType,
  aircraft_type_id: work.aircraftTypeId,
  program_id: work.programId,
  start_time: work.window.start.toISOString(),
  end_time: work.window.end.toISOString(),
  purpose: work.purpose,
});

const checkView = (check: PersonCheck) => ({
  qualified: check.result.qualified,
  missing: check.result.missing,
  free: check.overlappingTaskIds.length === 0,
  overlapping_task_ids: check.overlappingTaskIds,
});

const workQueryOf = (query: {
  org_id?: string;
  task_id?: string;
  task_type?: (typeof TASK_TYPES)[number];
  aircraft_type_id?: string;
  program_id?: string;
  start_time?: string;
  end_time?: string;
  purpose?: (typeof QUALIFICATION_PURPOSES)[number];
}): WorkQuery => ({
  orgId: query.org_id,
  taskId: query.task_id,
  taskType: query.task_type,
  aircraftTypeId: query.aircraft_type_id,
  programId: query.program_id,
  startTime: toDate(query.start_time),
  endTime: toDate(query.end_time),
  purpose: query.purpose,
});

const tags = ['qualifications'];

/** `/task-skill-requirements`, `/users/{id}/qualification-check` and `/qualified-mechanics`. */
export const qualificationRoutes =
  ({ qualifications }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/task-skill-requirements',
      {
        config: policy('skill_requirements', 'create'),
        schema: {
          tags,
          summary: 'Create a task skill requirement',
          description: `${SCOPE_NOTE} \`program_id\` must name a live program of the organization and the certification and skill types must be global or the organization’s own (404 REFERENCE_NOT_FOUND naming the field). A requirement that requires nothing, a min_proficiency without a skill, or min_recency_hours without recency_window_days (or the reverse) is 400 INVALID_REQUIREMENT. Send \`Idempotency-Key\` to make a retry safe.`,
          querystring: ScopeQuery,
          body: CreateBody,
          response: { 201: SkillRequirement, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const requirement = await qualifications.createRequirement(mutationContext(request), {
          orgId: request.query.org_id,
          taskType: body.task_type,
          aircraftTypeId: body.aircraft_type_id,
          programId: body.program_id,
          certificationTypeId: body.certification_type_id,
          typeRatingRequired: body.type_rating_required,
          skillTypeId: body.skill_type_id,
          minProficiency: body.min_proficiency,
          minRecencyHours: body.min_recency_hours,
          recencyWindowDays: body.recency_window_days,
          certifying: body.certifying,
          inspection: body.inspection,
          description: body.description,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, requirement.id))
          .send(skillRequirementView(requirement));
      },
    );

    app.get(
      '/task-skill-requirements',
      {
        config: policy('skill_requirements', 'read'),
        schema: {
          tags,
          summary: 'List task skill requirements',
          description: `${SCOPE_NOTE} Oldest first unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ListQuery,
          response: { 200: Type.Array(SkillRequirement), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const sort = parseSort(query.sort, SKILL_REQUIREMENT_SORT_FIELDS, [
          { field: 'created_at', direction: 'asc' },
        ]);
        const page = pageFrom(query);
        const result = await qualifications.listRequirements(
          actorOf(request),
          {
            orgId: query.org_id,
            taskType: query.task_type,
            aircraftTypeId: query.aircraft_type_id,
            programId: query.program_id,
          },
          sort,
          page,
        );
        return sendPage(request, reply, page, result, skillRequirementView);
      },
    );

    app.get(
      '/task-skill-requirements/:id',
      {
        config: policy('skill_requirements', 'read'),
        schema: {
          tags,
          summary: 'Get a task skill requirement',
          description: SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: SkillRequirement, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        skillRequirementView(
          await qualifications.getRequirement(actorOf(request), request.params.id, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.patch(
      '/task-skill-requirements/:id',
      {
        config: policy('skill_requirements', 'update'),
        schema: {
          tags,
          summary: 'Change a task skill requirement',
          description: `${SCOPE_NOTE} The same rules as creation apply to the requirement as changed. Tasks already assigned keep their mechanic; the new rule applies from their next assignment, start or completion.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateBody,
          response: { 200: SkillRequirement, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        const requirement = await qualifications.updateRequirement(
          mutationContext(request),
          request.params.id,
          {
            taskType: body.task_type,
            aircraftTypeId: body.aircraft_type_id,
            programId: body.program_id,
            certificationTypeId: body.certification_type_id,
            typeRatingRequired: body.type_rating_required,
            skillTypeId: body.skill_type_id,
            minProficiency: body.min_proficiency,
            minRecencyHours: body.min_recency_hours,
            recencyWindowDays: body.recency_window_days,
            certifying: body.certifying,
            inspection: body.inspection,
            description: body.description,
          },
          { orgId: request.query.org_id },
        );
        return skillRequirementView(requirement);
      },
    );

    app.delete(
      '/task-skill-requirements/:id',
      {
        config: policy('skill_requirements', 'delete'),
        schema: {
          tags,
          summary: 'Delete a task skill requirement',
          description: `${SCOPE_NOTE} Soft delete; the requirement stops applying at once.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await qualifications.deleteRequirement(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
        });
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/users/:id/qualification-check',
      {
        config: policy('qualification_checks', 'read'),
        schema: {
          tags,
          summary: 'Check whether a person meets the requirements of some work',
          description: `${SCOPE_NOTE} Give \`task_id\`, or \`task_type\`, \`start_time\` and \`end_time\` (with \`aircraft_type_id\` and \`program_id\` when they apply: an unknown aircraft type, or a program that is not a live one of the organization, is 404 REFERENCE_NOT_FOUND naming the field). A mechanic may check only themselves (403 NOT_OWN_RECORD). The answer lists what is missing with the same reasons that refuse an assignment (409 MECHANIC_NOT_QUALIFIED), and whether the person is free in the window.`,
          params: IdParams,
          querystring: CheckQuery,
          response: { 200: CheckResult, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { work, check } = await qualifications.checkPerson(
          actorOf(request),
          request.params.id,
          workQueryOf(request.query),
        );
        return { user_id: check.userId, work: workView(work), ...checkView(check) };
      },
    );

    app.get(
      '/qualified-mechanics',
      {
        config: policy('qualification_checks', 'list'),
        schema: {
          tags,
          summary: 'Every mechanic of the organization, checked against some work',
          description: `${SCOPE_NOTE} What an assignment dialog needs in one call: every live mechanic with the qualification check's result and whether they are free (no other scheduled or in-progress task of theirs overlaps the window, \`overlapping_task_ids\` otherwise), qualified and free first. Give \`task_id\`, or \`task_type\`, \`start_time\` and \`end_time\` (an unknown \`aircraft_type_id\` or \`program_id\` is 404 REFERENCE_NOT_FOUND naming the field). At most three queries, whatever the number of mechanics. Not for mechanics (they check themselves with /users/{id}/qualification-check).`,
          querystring: CheckQuery,
          response: { 200: QualifiedMechanics, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { mechanics } = await qualifications.qualifiedMechanics(
          actorOf(request),
          workQueryOf(request.query),
        );
        return mechanics.map((check) => ({ user_id: check.userId, email: check.email, ...checkView(check) }));
      },
    );
  };
