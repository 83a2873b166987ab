// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fabric_workloads', table => {
    table.comment('Workload components the fabric was asked to create; a catalog entity provider serves them');
    table.string('entity_ref', 512).primary().comment('The component, e.g. component:default/llm-finetune');
    table.text('entity').notNullable().comment('The Component entity, as JSON');
    table.string('created_by', 512).notNullable().comment('Who asked for it');
    table.timestamp('created_at', { useTz: true }).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fabric_workloads');
};
