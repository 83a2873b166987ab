// @ts-check

/**
 * A lease per applying plan, so that with several backend replicas on one database
 * exactly one applies a plan, and another resumes it only after the holder stopped
 * renewing (it crashed or was killed).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('fabric_plans', table => {
    table.string('lease_owner', 256).nullable().comment('The backend process applying the plan');
    table.timestamp('lease_expires_at', { useTz: true }).nullable().comment('When another replica may take the apply over');
    table.index(['status', 'lease_expires_at'], 'fabric_plans_lease_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('fabric_plans', table => {
    table.dropIndex(['status', 'lease_expires_at'], 'fabric_plans_lease_idx');
    table.dropColumn('lease_owner');
    table.dropColumn('lease_expires_at');
  });
};
