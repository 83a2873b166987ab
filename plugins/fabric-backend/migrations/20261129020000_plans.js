// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fabric_plans', table => {
    table.comment('Plans: ordered, idempotent steps shown before anything changes');
    table.string('id', 36).primary().comment('Plan id (UUID)');
    table.string('kind', 32).notNullable().comment('mesh, island or island-destroy');
    table.string('subject', 256).notNullable().comment('What the plan is for, e.g. an island id');
    table.string('status', 32).notNullable().comment('planned, applying, applied or failed');
    table.string('created_by', 512).notNullable().comment('Who planned it');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.text('plan').notNullable().comment('The plan and its steps, as JSON');
  });
  await knex.schema.createTable('fabric_plan_steps', table => {
    table.comment('Checkpoint of each step of a plan being applied; apply resumes from here');
    table.string('plan_id', 36).notNullable().references('id').inTable('fabric_plans').onDelete('CASCADE');
    table.string('step_key', 512).notNullable().comment('The step idempotency key');
    table.string('status', 32).notNullable().comment('running, done or failed');
    table.text('output').nullable().comment('The step output as JSON (resource ids, whether it was created)');
    table.text('error').nullable().comment('Readable error of a failed step');
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.primary(['plan_id', 'step_key']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fabric_plan_steps');
  await knex.schema.dropTable('fabric_plans');
};
